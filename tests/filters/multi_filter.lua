-- sonde's filter test: runs many display filters in one tshark pass.
-- Prints "index<TAB>frame" for each filter (index from 0, in the order of the
-- file given as argument) and each frame it selects, "index<TAB>invalid" for a
-- filter tshark rejects, and "-1<TAB>frame" for every frame.
local path = ({ ... })[1]
local out = io.stdout
local all = Listener.new(nil, nil)
function all.packet(pinfo)
    out:write("-1\t", pinfo.number, "\n")
end
local i = 0
for line in io.lines(path) do
    local idx = i
    local ok, tap = pcall(Listener.new, nil, line, true)
    if ok then
        function tap.packet(pinfo)
            out:write(idx, "\t", pinfo.number, "\n")
        end
    else
        out:write(idx, "\tinvalid\n")
    end
    i = i + 1
end

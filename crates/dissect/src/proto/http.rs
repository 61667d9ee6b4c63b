//! HTTP/1.x over TCP: request and status lines, every header as a field, bodies
//! by Content-Length or chunked encoding, request/response pairing. PDUs that
//! span segments are reassembled by the TCP layer (see `tcp.rs`), which calls
//! [`pdu_len`] to learn where a message ends and [`dissect`] on whole messages.
//! Hand-written rather than httparse: every header needs its byte range, and
//! damaged messages must still be shown as far as they go.

use super::Ctx;
use crate::field_table;
use crate::registry::{FieldDef, Kind};
use crate::tree::{Group, NodeId, Severity, Value, ROOT};
use std::collections::VecDeque;

/// TCP ports on which Wireshark 4.0 dissects HTTP by default.
pub const PORTS: &[u16] = &[
    80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710, 8000,
];

/// `http`
pub static HTTP: FieldDef = FieldDef::new("http", "Hypertext Transfer Protocol", Kind::Protocol)
    .blurb("The web's application protocol: a request (method, URI, headers) and a response (status code, headers, body).");
static REQUEST: FieldDef = FieldDef::new("http.request", "Request", Kind::Bool);
static RESPONSE: FieldDef = FieldDef::new("http.response", "Response", Kind::Bool);
static METHOD: FieldDef = FieldDef::new("http.request.method", "Request Method", Kind::Str)
    .blurb("What the client asks the server to do: GET a resource, POST data...");
static URI: FieldDef = FieldDef::new("http.request.uri", "Request URI", Kind::Str)
    .blurb("The path of the requested resource on the server.");
static REQ_VERSION: FieldDef = FieldDef::new("http.request.version", "Request Version", Kind::Str);
static REQ_LINE: FieldDef = FieldDef::new("http.request.line", "Request line", Kind::Str);
static RESP_VERSION: FieldDef =
    FieldDef::new("http.response.version", "Response Version", Kind::Str);
static CODE: FieldDef = FieldDef::new("http.response.code", "Status Code", Kind::U16).blurb(
    "Result of the request: 2xx success, 3xx redirection, 4xx client error, 5xx server error.",
);
static CODE_DESC: FieldDef = FieldDef::new(
    "http.response.code.desc",
    "Status Code Description",
    Kind::Str,
);
static PHRASE: FieldDef = FieldDef::new("http.response.phrase", "Response Phrase", Kind::Str);
static RESP_LINE: FieldDef = FieldDef::new("http.response.line", "Response line", Kind::Str);
static HOST: FieldDef = FieldDef::new("http.host", "Host", Kind::Str)
    .blurb("The server name the client asked for (virtual hosting).");
static USER_AGENT: FieldDef =
    FieldDef::new("http.user_agent", "User-Agent", Kind::Str).blurb("The client software.");
static ACCEPT: FieldDef = FieldDef::new("http.accept", "Accept", Kind::Str);
static ACCEPT_ENCODING: FieldDef =
    FieldDef::new("http.accept_encoding", "Accept Encoding", Kind::Str);
static ACCEPT_LANGUAGE: FieldDef =
    FieldDef::new("http.accept_language", "Accept-Language", Kind::Str);
static CONNECTION: FieldDef = FieldDef::new("http.connection", "Connection", Kind::Str).blurb(
    "keep-alive: reuse this TCP connection for more requests; close: close it after the response.",
);
static CACHE_CONTROL: FieldDef = FieldDef::new("http.cache_control", "Cache-Control", Kind::Str);
static CONTENT_TYPE: FieldDef = FieldDef::new("http.content_type", "Content-Type", Kind::Str);
static CONTENT_LENGTH_HEADER: FieldDef =
    FieldDef::new("http.content_length_header", "Content-Length", Kind::Str);
static CONTENT_LENGTH: FieldDef = FieldDef::new("http.content_length", "Content length", Kind::U64)
    .blurb("Length of the message body in bytes.");
static CONTENT_ENCODING: FieldDef =
    FieldDef::new("http.content_encoding", "Content-Encoding", Kind::Str);
static TRANSFER_ENCODING: FieldDef =
    FieldDef::new("http.transfer_encoding", "Transfer-Encoding", Kind::Str);
static SERVER: FieldDef =
    FieldDef::new("http.server", "Server", Kind::Str).blurb("The server software.");
static DATE: FieldDef = FieldDef::new("http.date", "Date", Kind::Str);
static LOCATION: FieldDef = FieldDef::new("http.location", "Location", Kind::Str);
static REFERER: FieldDef = FieldDef::new("http.referer", "Referer", Kind::Str);
static COOKIE: FieldDef = FieldDef::new("http.cookie", "Cookie", Kind::Str);
static SET_COOKIE: FieldDef = FieldDef::new("http.set_cookie", "Set-Cookie", Kind::Str);
static AUTHORIZATION: FieldDef = FieldDef::new("http.authorization", "Authorization", Kind::Str);
static LAST_MODIFIED: FieldDef = FieldDef::new("http.last_modified", "Last-Modified", Kind::Str);
static UPGRADE: FieldDef = FieldDef::new("http.upgrade", "Upgrade", Kind::Str);
static FULL_URI: FieldDef = FieldDef::new("http.request.full_uri", "Full request URI", Kind::Str)
    .blurb("The URL the client requested: http:// + Host + URI.");
static REQUEST_NUMBER: FieldDef = FieldDef::new("http.request_number", "HTTP request", Kind::U32);
static RESPONSE_NUMBER: FieldDef =
    FieldDef::new("http.response_number", "HTTP response", Kind::U32);
static TIME: FieldDef = FieldDef::new("http.time", "Time since request", Kind::RelTime)
    .blurb("How long the server took to answer.");
static REQUEST_IN: FieldDef = FieldDef::new("http.request_in", "Request in frame", Kind::FrameNum);
static RESPONSE_IN: FieldDef =
    FieldDef::new("http.response_in", "Response in frame", Kind::FrameNum)
        .blurb("The frame with the response to this request (known with two passes, -2).");
static RESPONSE_FOR_URI: FieldDef =
    FieldDef::new("http.response_for.uri", "Request URI", Kind::Str);
static FILE_DATA: FieldDef =
    FieldDef::new("http.file_data", "File Data", Kind::Str).blurb("The message body.");
static CHAT: FieldDef = FieldDef::new("http.chat", "Chat", Kind::None);
use super::WS_TEXT as TEXT;
static TEXT_LINES: FieldDef =
    FieldDef::new("data-text-lines", "Line-based text data", Kind::Protocol)
        .blurb("A text body shown line by line.");
field_table!(
    FIELDS = [
        HTTP,
        REQUEST,
        RESPONSE,
        METHOD,
        URI,
        REQ_VERSION,
        REQ_LINE,
        RESP_VERSION,
        CODE,
        CODE_DESC,
        PHRASE,
        RESP_LINE,
        HOST,
        USER_AGENT,
        ACCEPT,
        ACCEPT_ENCODING,
        ACCEPT_LANGUAGE,
        CONNECTION,
        CACHE_CONTROL,
        CONTENT_TYPE,
        CONTENT_LENGTH_HEADER,
        CONTENT_LENGTH,
        CONTENT_ENCODING,
        TRANSFER_ENCODING,
        SERVER,
        DATE,
        LOCATION,
        REFERER,
        COOKIE,
        SET_COOKIE,
        AUTHORIZATION,
        LAST_MODIFIED,
        UPGRADE,
        FULL_URI,
        REQUEST_NUMBER,
        RESPONSE_NUMBER,
        TIME,
        REQUEST_IN,
        RESPONSE_IN,
        RESPONSE_FOR_URI,
        FILE_DATA,
        CHAT
    ]
);
field_table!(TEXT_LINES_FIELDS = [TEXT_LINES]);

static HEADERS: &[(&str, &FieldDef)] = &[
    ("host", &HOST),
    ("user-agent", &USER_AGENT),
    ("accept", &ACCEPT),
    ("accept-encoding", &ACCEPT_ENCODING),
    ("accept-language", &ACCEPT_LANGUAGE),
    ("connection", &CONNECTION),
    ("cache-control", &CACHE_CONTROL),
    ("content-type", &CONTENT_TYPE),
    ("content-length", &CONTENT_LENGTH_HEADER),
    ("content-encoding", &CONTENT_ENCODING),
    ("transfer-encoding", &TRANSFER_ENCODING),
    ("server", &SERVER),
    ("date", &DATE),
    ("location", &LOCATION),
    ("referer", &REFERER),
    ("cookie", &COOKIE),
    ("set-cookie", &SET_COOKIE),
    ("authorization", &AUTHORIZATION),
    ("last-modified", &LAST_MODIFIED),
    ("upgrade", &UPGRADE),
];

const METHODS: &[&str] = &[
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE",
];

/// Per-stream HTTP state: requests waiting for their response.
#[derive(Debug, Clone, Default)]
pub struct Pairing {
    pending: VecDeque<Pending>,
    requests: u32,
    responses: u32,
}

/// A request waiting for its response: frame, time, full URI, HEAD or not.
type Pending = (u64, i64, String, bool);

impl Pairing {
    /// Counts a request of `frame` and keeps it (at most 64 wait) until its
    /// response comes; returns its number in the stream.
    fn request(&mut self, frame: u64, ts_ns: i64, full_uri: String, head: bool) -> u32 {
        self.requests += 1;
        if self.pending.len() < 64 {
            self.pending.push_back((frame, ts_ns, full_uri, head));
        }
        self.requests
    }

    /// Counts a response of `frame` and returns the request it answers,
    /// noting it for a second pass's "Response in frame".
    fn response(&mut self, frame: u64, hindsight: &mut crate::Hindsight) -> (u32, Option<Pending>) {
        self.responses += 1;
        let req = self.pending.pop_front();
        if let Some((req_frame, ..)) = req {
            if hindsight.recording {
                hindsight.response_in.insert(req_frame, frame);
            }
        }
        (self.responses, req)
    }
}

/// Sets the Info column of a message: its first line, and a response's
/// media type.
fn set_info(cx: &mut Ctx<'_>, first_line: &str, response: bool, content_type: &str) {
    let ct = content_type.split(';').next().unwrap_or("").trim();
    if !response || ct.is_empty() {
        cx.d.set_info(format_args!("{first_line} "));
    } else {
        cx.d.set_info(format_args!("{first_line}  ({ct})"));
    }
}

/// True when `p` starts like an HTTP request or response (the heuristic for
/// ports that are not HTTP's).
pub fn looks_like_http(p: &[u8]) -> bool {
    p.starts_with(b"HTTP/1.")
        || METHODS
            .iter()
            .any(|m| p.len() > m.len() && p.starts_with(m.as_bytes()) && p[m.len()] == b' ')
}

fn find(h: &[u8], needle: &[u8]) -> Option<usize> {
    // Jump from one occurrence of the first byte to the next (the scan the
    // compiler vectorizes), then compare the rest.
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = h[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if h.get(at + 1..at + 1 + rest.len()) == Some(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn header_value<'a>(head: &'a [u8], name: &str) -> Option<&'a [u8]> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        if line[..colon].eq_ignore_ascii_case(name.as_bytes()) {
            Some(line[colon + 1..].trim_ascii())
        } else {
            None
        }
    })
}

/// The length of the HTTP message at the start of `buf`: `Some(n)` when it is
/// complete in `buf`, `None` when more bytes are needed. `head_request` says the
/// response answers a HEAD (no body).
pub fn pdu_len(buf: &[u8], head_request: bool) -> Option<usize> {
    measure(buf, head_request).ok()
}

/// Like [`pdu_len`], but when the message is not complete says how long
/// the buffer must grow before it is worth asking again (the end the
/// Content-Length gives, or one more byte), so that a long body arriving
/// segment by segment is not parsed again with each.
pub fn measure(buf: &[u8], head_request: bool) -> Result<usize, usize> {
    let more = buf.len() + 1;
    let hdr_end = find(buf, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(buf, b"\n\n").map(|i| i + 2))
        .ok_or(more)?;
    let head = &buf[..hdr_end];
    let is_response = buf.starts_with(b"HTTP/");
    if is_response {
        let code: u16 = buf
            .get(9..12)
            .and_then(|c| std::str::from_utf8(c).ok()?.parse().ok())
            .ok_or(more)?;
        if head_request || (100..200).contains(&code) || code == 204 || code == 304 {
            return Ok(hdr_end);
        }
    }
    let (te, cl) = length_headers(head);
    if te.is_some_and(|te| te.eq_ignore_ascii_case(b"chunked")) {
        return chunked_end(buf, hdr_end).ok_or(more);
    }
    match cl.and_then(|v| std::str::from_utf8(v).ok()?.parse::<usize>().ok()) {
        Some(cl) => {
            let end = hdr_end.checked_add(cl).ok_or(usize::MAX)?;
            if end <= buf.len() {
                Ok(end)
            } else {
                Err(end)
            }
        }
        // A response without a length runs to the connection's end: take what is here.
        None if is_response => Ok(buf.len()),
        None => Ok(hdr_end),
    }
}

/// The Transfer-Encoding and Content-Length values of a header block, in
/// one pass over its lines (the first of each).
fn length_headers(head: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let (mut te, mut cl) = (None, None);
    for line in head.split(|&b| b == b'\n').skip(1) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = &line[..colon];
        let slot = if name.eq_ignore_ascii_case(b"content-length") {
            &mut cl
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            &mut te
        } else {
            continue;
        };
        if slot.is_none() {
            *slot = Some(line[colon + 1..].trim_ascii());
        }
        if te.is_some() && cl.is_some() {
            break;
        }
    }
    (te, cl)
}

fn chunked_end(buf: &[u8], mut o: usize) -> Option<usize> {
    loop {
        let line_end = find(&buf[o..], b"\r\n")? + o;
        let size_txt = std::str::from_utf8(&buf[o..line_end]).ok()?;
        let size = usize::from_str_radix(size_txt.split(';').next()?.trim(), 16).ok()?;
        o = line_end + 2;
        if size == 0 {
            // Trailers end with an empty line.
            let end = find(&buf[o..], b"\r\n")? + o + 2;
            return Some(end);
        }
        o = o.checked_add(size)?.checked_add(2)?;
        if o > buf.len() {
            return None;
        }
    }
}

fn status_desc(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Time-out",
        409 => "Conflict",
        410 => "Gone",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Time-out",
        _ => "Unknown",
    }
}

/// Adds a node over `buf[o..o+len]` in data source `src` (offsets are in that source).
fn add(
    cx: &mut Ctx<'_>,
    parent: NodeId,
    def: &'static FieldDef,
    src: u8,
    o: usize,
    len: usize,
    v: Value,
) -> NodeId {
    let id = cx.d.add(parent, def, o, len, v);
    if id != ROOT {
        cx.d.nodes[id as usize].src = src;
    }
    id
}

/// Dissects one whole HTTP message `buf` (at offset `base` of data source
/// `src`). Returns the protocol node.
pub fn dissect(
    cx: &mut Ctx<'_>,
    buf: &[u8],
    src: u8,
    base: usize,
    pairing: &mut Pairing,
) -> NodeId {
    if !cx.d.builds(crate::tree::build::HTTP) {
        return summary_only(cx, buf, pairing);
    }
    let top = add(cx, ROOT, &HTTP, src, base, buf.len(), Value::None);
    cx.d.push_protocol("http");
    cx.d.cols.protocol = "HTTP";
    let line_end = find(buf, b"\n").map_or(buf.len(), |i| i + 1);
    let first = &buf[..line_end];
    let first_txt = String::from_utf8_lossy(first.trim_ascii_end()).to_string();
    let is_response = buf.starts_with(b"HTTP/");
    let fl = add(cx, top, &TEXT, src, base, line_end, Value::None);
    cx.d.set_label(fl, format_args!("{}", Escaped(first)));
    cx.d.expert(
        fl,
        &CHAT,
        Severity::Chat,
        Group::Sequence,
        format_args!("{}", Escaped(first)),
    );
    let hidden = |cx: &mut Ctx<'_>, id: NodeId| {
        if id != ROOT {
            cx.d.nodes[id as usize].flags |= crate::tree::HIDDEN;
        }
    };
    // First line's parts.
    let words: Vec<(usize, usize)> = {
        let mut v = Vec::new();
        let t = first.trim_ascii_end();
        let mut s = 0;
        for (i, &b) in t.iter().enumerate() {
            if b == b' ' && v.len() < 2 {
                v.push((s, i));
                s = i + 1;
            }
        }
        v.push((s, t.len()));
        v
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    let mut uri = String::new();
    let mut method = String::new();
    if is_response {
        if let Some(&(a, b)) = words.first() {
            add(cx, fl, &RESP_VERSION, src, base + a, b - a, Value::Bytes);
        }
        if let Some(&(a, b)) = words.get(1) {
            let code: u16 = text(&buf[a..b]).parse().unwrap_or(0);
            add(
                cx,
                fl,
                &CODE,
                src,
                base + a,
                b - a,
                Value::U(u64::from(code)),
            );
            let s = cx.d.push_text(format_args!("{}", status_desc(code)));
            let dn = add(cx, fl, &CODE_DESC, src, base + a, b - a, Value::Text(s));
            cx.d.set_generated(dn);
        }
        if let Some(&(a, b)) = words.get(2) {
            add(cx, fl, &PHRASE, src, base + a, b - a, Value::Bytes);
        }
    } else {
        if let Some(&(a, b)) = words.first() {
            method = text(&buf[a..b]);
            add(cx, fl, &METHOD, src, base + a, b - a, Value::Bytes);
        }
        if let Some(&(a, b)) = words.get(1) {
            uri = text(&buf[a..b]);
            add(cx, fl, &URI, src, base + a, b - a, Value::Bytes);
        }
        if let Some(&(a, b)) = words.get(2) {
            add(cx, fl, &REQ_VERSION, src, base + a, b - a, Value::Bytes);
        }
    }
    // Headers.
    let mut o = line_end;
    let mut host = String::new();
    let mut content_type = String::new();
    let mut chunked = false;
    let line_def = if is_response { &RESP_LINE } else { &REQ_LINE };
    let mut body_start = buf.len();
    while o < buf.len() {
        let e = find(&buf[o..], b"\n").map_or(buf.len(), |i| o + i + 1);
        let line = &buf[o..e];
        if line == b"\r\n" || line == b"\n" {
            let n = add(cx, top, &TEXT, src, base + o, e - o, Value::None);
            cx.d.set_label(n, format_args!("{}", Escaped(line)));
            body_start = e;
            break;
        }
        let content = line.trim_ascii_end();
        match content.iter().position(|&b| b == b':') {
            Some(colon) => {
                let name = &content[..colon];
                let vstart = colon
                    + 1
                    + content[colon + 1..]
                        .iter()
                        .take_while(|&&b| b == b' ' || b == b'\t')
                        .count();
                let known = HEADERS
                    .iter()
                    .find(|(h, _)| name.eq_ignore_ascii_case(h.as_bytes()))
                    .map(|(_, d)| *d);
                let vtxt = text(&content[vstart..]);
                let n = match known {
                    Some(def) => add(
                        cx,
                        top,
                        def,
                        src,
                        base + o + vstart,
                        content.len() - vstart,
                        Value::Bytes,
                    ),
                    None => add(cx, top, line_def, src, base + o, e - o, Value::Bytes),
                };
                cx.d.set_label(n, format_args!("{}", Escaped(line)));
                if known.is_some() {
                    let ln = add(cx, top, line_def, src, base + o, e - o, Value::Bytes);
                    hidden(cx, ln);
                }
                let lname = String::from_utf8_lossy(name).to_ascii_lowercase();
                match lname.as_str() {
                    "host" => host = vtxt,
                    "content-type" => content_type = vtxt,
                    "content-length" => {
                        if let Ok(v) = vtxt.trim().parse::<u64>() {
                            let c = add(
                                cx,
                                n,
                                &CONTENT_LENGTH,
                                src,
                                base + o + vstart,
                                content.len() - vstart,
                                Value::U(v),
                            );
                            cx.d.set_generated(c);
                        }
                    }
                    "transfer-encoding" => chunked = vtxt.eq_ignore_ascii_case("chunked"),
                    _ => {}
                }
            }
            None => {
                let n = add(cx, top, &TEXT, src, base + o, e - o, Value::None);
                cx.d.set_label(n, format_args!("{}", Escaped(line)));
                cx.d.expert(
                    n,
                    &super::WS_EXPERT,
                    Severity::Warning,
                    Group::Malformed,
                    format_args!("Header line without a colon"),
                );
            }
        }
        o = e;
    }
    let rn = add(
        cx,
        top,
        if is_response { &RESPONSE } else { &REQUEST },
        src,
        base,
        0,
        Value::Bool(true),
    );
    hidden(cx, rn);
    let now = cx.d.frame.ts_ns;
    let frame = cx.d.frame.number;
    if is_response {
        let (number, req) = pairing.response(frame, &mut cx.trk.hindsight);
        let n = add(
            cx,
            top,
            &RESPONSE_NUMBER,
            src,
            base,
            0,
            Value::U(u64::from(number)),
        );
        cx.d.set_generated(n);
        cx.d.set_label(n, format_args!("HTTP response {number}/{number}"));
        if let Some((req_frame, req_ts, full, _)) = req {
            let n = add(cx, top, &TIME, src, base, 0, Value::Time(now - req_ts));
            cx.d.set_generated(n);
            let n = add(cx, top, &REQUEST_IN, src, base, 0, Value::U(req_frame));
            cx.d.set_generated(n);
            let s = cx.d.push_text(format_args!("{full}"));
            let n = add(cx, top, &RESPONSE_FOR_URI, src, base, 0, Value::Text(s));
            cx.d.set_generated(n);
        }
    } else {
        let full = if host.is_empty() || uri.contains("://") {
            uri.clone()
        } else {
            format!("http://{host}{uri}")
        };
        let s = cx.d.push_text(format_args!("{full}"));
        let n = add(cx, top, &FULL_URI, src, base, 0, Value::Text(s));
        cx.d.set_generated(n);
        let number = pairing.request(frame, now, full, method == "HEAD");
        let n = add(
            cx,
            top,
            &REQUEST_NUMBER,
            src,
            base,
            0,
            Value::U(u64::from(number)),
        );
        cx.d.set_generated(n);
        cx.d.set_label(n, format_args!("HTTP request {number}/{number}"));
        if let Some(&resp) = cx.trk.hindsight.response_in.get(&frame) {
            let n = add(cx, top, &RESPONSE_IN, src, base, 0, Value::U(resp));
            cx.d.set_generated(n);
        }
    }
    // Body.
    if body_start < buf.len() {
        let blen = buf.len() - body_start;
        let n = add(
            cx,
            top,
            &FILE_DATA,
            src,
            base + body_start,
            blen,
            Value::Bytes,
        );
        cx.d.set_label(n, format_args!("File Data: {blen} bytes"));
        if content_type.starts_with("text/") && !chunked {
            text_lines(
                cx,
                &buf[body_start..],
                src,
                base + body_start,
                &content_type,
            );
        }
    }
    set_info(cx, &first_txt, is_response, &content_type);
    top
}

/// What a summary line needs of a message (no tree): the columns, the
/// pairing state, the protocol list.
fn summary_only(cx: &mut Ctx<'_>, buf: &[u8], pairing: &mut Pairing) -> NodeId {
    cx.d.push_protocol("http");
    cx.d.cols.protocol = "HTTP";
    let line = first_line(buf);
    let frame = cx.d.frame.number;
    let now = cx.d.frame.ts_ns;
    let hdr_end = find(buf, b"\r\n\r\n").map_or(buf.len(), |i| i + 4);
    if buf.starts_with(b"HTTP/") {
        pairing.response(frame, &mut cx.trk.hindsight);
        let ct = header_value(&buf[..hdr_end], "content-type").unwrap_or(b"");
        let ct = String::from_utf8_lossy(ct);
        set_info(cx, &line, true, &ct);
        if ct.starts_with("text/")
            && hdr_end < buf.len()
            && header_value(&buf[..hdr_end], "transfer-encoding").is_none()
        {
            cx.d.push_protocol("data-text-lines");
        }
    } else {
        pairing.request(frame, now, String::new(), buf.starts_with(b"HEAD "));
        set_info(cx, &line, false, "");
    }
    ROOT
}

/// The first line of a message that is still incomplete (the Info text of the
/// segment that starts it).
pub fn first_line(buf: &[u8]) -> String {
    let e = find(buf, b"\n").unwrap_or(buf.len().min(200));
    String::from_utf8_lossy(buf[..e].trim_ascii_end()).to_string()
}

/// True when the oldest request waiting for its response was a HEAD.
pub fn expects_head_response(p: &Pairing) -> bool {
    p.pending.front().is_some_and(|r| r.3)
}

fn text_lines(cx: &mut Ctx<'_>, body: &[u8], src: u8, base: usize, ct: &str) {
    let top = add(cx, ROOT, &TEXT_LINES, src, base, body.len(), Value::None);
    cx.d.push_protocol("data-text-lines");
    if !cx.d.want_labels {
        // The lines are counted and shown for the detail tree only.
        return;
    }
    let ct = ct.split(';').next().unwrap_or("").trim();
    let lines = body.split_inclusive(|&b| b == b'\n').count();
    cx.d.set_label(
        top,
        format_args!("Line-based text data: {ct} ({lines} lines)"),
    );
    let mut o = 0;
    for line in body.split_inclusive(|&b| b == b'\n') {
        let n = add(cx, top, &TEXT, src, base + o, line.len(), Value::None);
        cx.d.set_label(n, format_args!("{}", Escaped(line)));
        o += line.len();
    }
}

/// A line as Wireshark shows it, formatted only if a label is really written
/// (summary lines never pay for it).
struct Escaped<'a>(&'a [u8]);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&escape_line(self.0))
    }
}

/// A line as Wireshark shows it: printable, with `\r` and `\n` written out.
fn escape_line(line: &[u8]) -> String {
    let mut s = String::with_capacity(line.len() + 4);
    for &b in line {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_lengths() {
        assert_eq!(
            pdu_len(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", false),
            Some(27)
        );
        assert_eq!(pdu_len(b"GET / HTTP/1.1\r\nHost: a\r\n", false), None);
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(pdu_len(r, false), Some(r.len()));
        assert_eq!(pdu_len(&r[..r.len() - 1], false), None);
        assert_eq!(
            pdu_len(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true),
            Some(38)
        );
        let c = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        assert_eq!(pdu_len(c, false), Some(c.len()));
        // Incomplete: how long the buffer must get before asking again.
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab";
        assert_eq!(measure(r, false), Err(r.len() + 3));
        assert_eq!(measure(b"GET / HT", false), Err(9));
        assert_eq!(pdu_len(&c[..c.len() - 3], false), None);
        assert!(looks_like_http(b"POST /x HTTP/1.1\r\n"));
        assert!(!looks_like_http(b"SSH-2.0-OpenSSH"));
    }
}

//! The bytes of a minimal HTTP/2 client, written by hand, for tests that
//! must see one connection exactly as the server does (when it is closed,
//! whether a request was ever started on it). Generated clients reconnect
//! behind the test's back.

/// The client preface and an empty SETTINGS frame.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// One gRPC request on an odd `stream` id: a HEADERS frame (HPACK
/// literals, no Huffman coding) and a DATA frame carrying `message` as one
/// gRPC frame, which ends the stream.
pub fn grpc_request(stream: u32, path: &str, message: &[u8]) -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", path),
        (":authority", "localhost"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ] {
        // Literal header field without indexing, new name (RFC 7541 §6.2.2).
        block.push(0);
        literal(&mut block, name);
        literal(&mut block, value);
    }
    let mut body = vec![0];
    body.extend_from_slice(&(message.len() as u32).to_be_bytes());
    body.extend_from_slice(message);
    let mut out = frame(0x1, 0x4, stream, &block);
    out.extend(frame(0x0, 0x1, stream, &body));
    out
}

fn literal(out: &mut Vec<u8>, s: &str) {
    assert!(s.len() < 127, "a short header");
    out.push(s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads frames until `stream` ends (its trailers or an END_STREAM). False
/// if the server closed the connection first.
pub async fn stream_ends(conn: &mut tokio::net::TcpStream, stream: u32) -> bool {
    use tokio::io::AsyncReadExt;
    let mut head = [0u8; 9];
    loop {
        if conn.read_exact(&mut head).await.is_err() {
            return false;
        }
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; len];
        if conn.read_exact(&mut payload).await.is_err() {
            return false;
        }
        let (kind, flags) = (head[3], head[4]);
        let id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        // END_STREAM on a HEADERS (0x1) or DATA (0x0) frame of that stream.
        if id == stream && kind <= 0x1 && flags & 0x1 != 0 {
            return true;
        }
    }
}

/// Reads until the server closes the connection.
pub async fn closed(conn: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 256];
    while matches!(conn.read(&mut buf).await, Ok(n) if n > 0) {}
}

//! Length-prefixed frames on a byte stream: the wire encoding of every RPC.
//!
//! A frame is a 4-byte big-endian body length followed by the body, a postcard encoding of one
//! message. postcard is compact and fast (it matters for simulated throughput: every append
//! entries request crosses it) and round-trips openraft's serde types, which use no
//! self-describing tricks (`skip_serializing_if`, `flatten`, `untagged`). Values that need a
//! self-describing format (JSON payloads) are carried as JSON text inside the message (see
//! `api::JsonValue`). The frame is written with one `write_all` and then flushed: madsim's
//! `TcpStream` sends nothing until `flush()`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest frame body accepted or sent. Snapshots travel in one frame, so this bounds the
/// engine state a snapshot can carry; anything larger is refused rather than allocated.
pub const MAX_FRAME_LEN: usize = 256 << 20;

/// Why a frame could not be sent or received.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("connection closed by peer")]
    Closed,
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("frame of {0} bytes exceeds the {MAX_FRAME_LEN}-byte limit")]
    TooLarge(usize),
    #[error("cannot encode message: {0}")]
    Encode(postcard::Error),
    #[error("cannot decode message: {0}")]
    Decode(postcard::Error),
}

/// Encode `msg` into a complete frame (length prefix included).
pub fn encode_frame<T: Serialize>(msg: &T) -> Result<Vec<u8>, FrameError> {
    // Reserve the prefix up front so the frame goes out in a single write, and the whole frame
    // so the buffer never grows (each doubling copies everything so far).
    let size = postcard::experimental::serialized_size(msg).map_err(FrameError::Encode)?;
    let mut buf = Vec::with_capacity(4 + size);
    buf.extend_from_slice(&[0u8; 4]);
    let buf = postcard::to_extend(msg, buf).map_err(FrameError::Encode)?;
    let body_len = buf.len() - 4;
    if body_len > MAX_FRAME_LEN {
        return Err(FrameError::TooLarge(body_len));
    }
    let mut buf = buf;
    // body_len <= MAX_FRAME_LEN < u32::MAX, so the cast is lossless.
    buf[..4].copy_from_slice(&(body_len as u32).to_be_bytes());
    Ok(buf)
}

/// Decode a frame body.
pub fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    postcard::from_bytes(body).map_err(FrameError::Decode)
}

/// A frame's digest for observers: its length above its CRC-32C. Every frame a node sends is
/// digested, so the hash must keep up with the wire: CRC-32C runs in hardware, byte-wise
/// FNV-1a was a visible share of a run's CPU.
pub fn frame_digest(frame: &[u8]) -> u64 {
    ((frame.len() as u64) << 32) | u64::from(crc32c::crc32c(frame))
}

/// Write one frame and flush it; returns its [`frame_digest`] (for observers).
pub async fn write_frame<W, T>(w: &mut W, msg: &T) -> Result<u64, FrameError>
where
    W: AsyncWrite + Unpin,
    T: Serialize,
{
    let buf = encode_frame(msg)?;
    w.write_all(&buf).await?;
    w.flush().await?;
    Ok(frame_digest(&buf))
}

/// Read one frame. A clean end of stream before the first prefix byte is `Closed`.
pub async fn read_frame<R, T>(r: &mut R) -> Result<T, FrameError>
where
    R: AsyncRead + Unpin,
    T: DeserializeOwned,
{
    let mut prefix = [0u8; 4];
    match r.read_exact(&mut prefix).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(FrameError::Io(e)),
    }
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_FRAME_LEN {
        return Err(FrameError::TooLarge(len));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    decode_body(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_prefix_is_body_length() {
        let frame = encode_frame(&(7u64, String::from("abc"))).unwrap();
        let len = u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
        assert_eq!(len, frame.len() - 4);
        let back: (u64, String) = decode_body(&frame[4..]).unwrap();
        assert_eq!(back, (7, "abc".to_string()));
    }

    #[test]
    fn garbage_body_is_an_error_not_a_panic() {
        let r: Result<(u64, String), _> = decode_body(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(r.is_err());
    }
}

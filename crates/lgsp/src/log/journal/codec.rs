//! A record's bytes in a journal ring: its strings with their lengths (4 bytes, little-endian),
//! its numbers (8 bytes), its optional fields behind a flag byte, in the order of `Exchange`.

use super::Exchange;

fn str_len(s: &str) -> usize {
    4 + s.len()
}

fn opt_len(b: Option<&[u8]>) -> usize {
    1 + b.map_or(0, |b| 4 + b.len())
}

/// The bytes a record takes: its strings with their lengths, its numbers, its optional fields
/// with a flag.
pub(super) fn encoded_len(x: &Exchange) -> usize {
    [&x.request_id, &x.client, &x.service, &x.method, &x.path, &x.request_hash, &x.response_hash].iter().map(|s| str_len(s)).sum::<usize>()
        + 5 * 8
        + opt_len(x.error.as_deref().map(str::as_bytes))
        + opt_len(x.user_id.as_deref().map(str::as_bytes))
        + opt_len(x.request_body.as_deref())
        + opt_len(x.response_body.as_deref())
}

struct Out<'a>(&'a mut [u8], usize);

impl Out<'_> {
    fn put(&mut self, b: &[u8]) {
        self.0[self.1..self.1 + b.len()].copy_from_slice(b);
        self.1 += b.len();
    }
    fn bytes(&mut self, b: &[u8]) {
        self.put(&(b.len() as u32).to_le_bytes());
        self.put(b);
    }
    fn int(&mut self, n: i64) {
        self.put(&n.to_le_bytes());
    }
    fn opt(&mut self, b: Option<&[u8]>) {
        match b {
            None => self.put(&[0]),
            Some(b) => {
                self.put(&[1]);
                self.bytes(b);
            }
        }
    }
}

pub(super) fn encode(x: &Exchange, to: &mut [u8]) {
    let mut o = Out(to, 0);
    o.bytes(x.request_id.as_bytes());
    o.int(x.at);
    o.bytes(x.client.as_bytes());
    o.bytes(x.service.as_bytes());
    o.bytes(x.method.as_bytes());
    o.bytes(x.path.as_bytes());
    o.int(x.status);
    o.opt(x.error.as_deref().map(str::as_bytes));
    o.bytes(x.request_hash.as_bytes());
    o.bytes(x.response_hash.as_bytes());
    o.int(x.request_bytes);
    o.int(x.response_bytes);
    o.int(x.duration_ms);
    o.opt(x.user_id.as_deref().map(str::as_bytes));
    o.opt(x.request_body.as_deref());
    o.opt(x.response_body.as_deref());
}

struct In<'a>(&'a [u8]);

impl In<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (a, b) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = b;
        Some(a)
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        self.take(n).map(<[u8]>::to_vec)
    }
    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?).ok()
    }
    fn int(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn opt_bytes(&mut self) -> Option<Option<Vec<u8>>> {
        match self.take(1)?[0] {
            0 => Some(None),
            1 => self.bytes().map(Some),
            _ => None,
        }
    }
    fn opt_text(&mut self) -> Option<Option<String>> {
        match self.opt_bytes()? {
            None => Some(None),
            Some(b) => String::from_utf8(b).ok().map(Some),
        }
    }
}

pub(super) fn decode(b: &[u8]) -> Option<Exchange> {
    let mut i = In(b);
    let x = Exchange {
        request_id: i.text()?,
        at: i.int()?,
        client: i.text()?,
        service: i.text()?,
        method: i.text()?,
        path: i.text()?,
        status: i.int()?,
        error: i.opt_text()?,
        request_hash: i.text()?,
        response_hash: i.text()?,
        request_bytes: i.int()?,
        response_bytes: i.int()?,
        duration_ms: i.int()?,
        user_id: i.opt_text()?,
        request_body: i.opt_bytes()?,
        response_body: i.opt_bytes()?,
    };
    i.0.is_empty().then_some(x)
}

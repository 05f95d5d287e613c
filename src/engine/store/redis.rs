//! The call store in Redis.
//!
//! Keys carry the call id as a hash tag (`cs:{ID}:call`, `cs:{ID}:log`,
//! `cs:{ID}:lease`), so one call's keys share a Redis Cluster slot and the
//! compare-and-set script may touch them together. Per call:
//!
//! - `cs:{ID}:call`, a hash: `v` the version, `s` the snapshot (JSON),
//!   `d` how many transcript lines were dropped from the front;
//! - `cs:{ID}:log`, a list: the transcript, one JSON line per entry,
//!   trimmed to `max_transcript_entries`;
//! - `cs:{ID}:lease`: the replica whose timers drive a Converse call.
//!
//! Besides: `cs:due`, a sorted set of call ids by the unix ms at which some
//! replica should look at them (an idle front-end's deadline), and
//! `cs:flow:ID:VERSION`, the source of each flow version a replica loaded.
//!
//! A write is one round trip: the compare-and-set script and, pipelined
//! behind it, the call's next check time. The check time is only an index
//! (the snapshot's own deadline is the truth): a replica that claims a call
//! too early finds its deadline later and files it again.

use std::time::Duration;

use redis::{
    Client, Cmd, Pipeline, RedisError, Script, Value,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use super::{CallStore, Lease, Saved, StoreError, StoreFuture, Stored, Write};

/// Writes a call with a compare-and-set on its version; appends its new
/// transcript lines, trims the transcript, and sets the TTL of an ended
/// call's keys. Returns `{1, new version}`, `{0, version, snapshot,
/// dropped}` when someone else wrote first, or `{-1}` when the call is not
/// there.
const SAVE: &str = r"
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then
  if v == 0 then return {-1} end
  local s = redis.call('HMGET', KEYS[1], 's', 'd')
  return {0, v, s[1], s[2] or '0'}
end
redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2])
local n = #ARGV
if n > 4 then
  redis.call('RPUSH', KEYS[2], unpack(ARGV, 5, n))
  local len = redis.call('LLEN', KEYS[2])
  local max = tonumber(ARGV[3])
  if len > max then
    redis.call('LTRIM', KEYS[2], len - max, -1)
    redis.call('HINCRBY', KEYS[1], 'd', len - max)
  end
end
local ttl = tonumber(ARGV[4])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return {1, v + 1}
";

/// Claims the due calls: each id's time moves `ARGV[3]` ms on, so no
/// other replica takes it meanwhile, and a replica that dies holding it
/// only delays it (the write that handles the call files its next time).
const CLAIM: &str = r"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local later = tonumber(ARGV[1]) + tonumber(ARGV[3])
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], later, id) end
return due
";

/// How long a claimed call is left to its claimer.
const CLAIM_HOLD: Duration = Duration::from_secs(30);

/// Takes a free lease or renews one's own; `ARGV[3]` = 1 takes it anyway.
/// -1: the call itself is gone (Redis lost its data), so no lease.
const LEASE: &str = r"
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] or ARGV[3] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
";

/// The index of calls to look at.
const DUE: &str = "cs:due";

/// How long a published flow source stays after its last publication:
/// longer than any call may last.
const FLOW_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct RedisStore {
    conn: ConnectionManager,
    describe: String,
    save: Script,
    claim: Script,
    lease: Script,
    release: Script,
}

fn call_key(id: &str) -> String {
    format!("cs:{{{id}}}:call")
}

fn log_key(id: &str) -> String {
    format!("cs:{{{id}}}:log")
}

fn lease_key(id: &str) -> String {
    format!("cs:{{{id}}}:lease")
}

fn flow_key(flow: &str, version: &str) -> String {
    format!("cs:flow:{flow}:{version}")
}

impl RedisStore {
    /// Connects lazily: the service starts (NOT_SERVING) while Redis is
    /// still away, and the connection manager reconnects with backoff
    /// whenever the connection drops.
    pub fn open(url: &str) -> Result<RedisStore, StoreError> {
        let client = Client::open(url).map_err(|e| StoreError(format!("store: {url:?}: {e}")))?;
        let info = client.get_connection_info();
        let describe = format!("Redis at {}", info.addr());
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(3)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StoreError(format!("store: {url:?}: {e}")))?;
        Ok(RedisStore {
            conn,
            describe,
            save: Script::new(SAVE),
            claim: Script::new(CLAIM),
            lease: Script::new(LEASE),
            release: Script::new(RELEASE),
        })
    }

    fn fail(&self, e: RedisError) -> StoreError {
        StoreError(format!("{}: {e}", self.describe))
    }

    /// The compare-and-set as a plain EVALSHA, so it can be pipelined.
    fn save_cmd(&self, call_id: &str, write: &Write) -> Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(self.save.get_hash())
            .arg(2)
            .arg(call_key(call_id))
            .arg(log_key(call_id))
            .arg(write.expected)
            .arg(&write.snapshot)
            .arg(write.max_transcript.max(1))
            .arg(write.ended_ttl.map_or(0, |t| t.as_millis().max(1) as u64));
        for entry in &write.entries {
            cmd.arg(entry);
        }
        cmd
    }

    async fn save_once(&self, call_id: &str, write: &Write) -> Result<Value, RedisError> {
        let mut pipe = Pipeline::new();
        pipe.add_command(self.save_cmd(call_id, write));
        match write.check_at {
            Some(at) => pipe.cmd("ZADD").arg(DUE).arg(at).arg(call_id).ignore(),
            None => pipe.cmd("ZREM").arg(DUE).arg(call_id).ignore(),
        };
        let mut conn = self.conn.clone();
        let mut out: Vec<Value> = pipe.query_async(&mut conn).await?;
        Ok(out.pop().unwrap_or(Value::Nil))
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        other => text(other).and_then(|t| t.parse().ok()),
    }
}

fn saved(value: Value) -> Result<Saved, String> {
    let Value::Array(items) = value else {
        return Err(format!("unexpected reply {value:?}"));
    };
    match items.first().and_then(int) {
        Some(1) => Ok(Saved::Saved(items.get(1).and_then(int).unwrap_or(0) as u64)),
        Some(-1) => Ok(Saved::Gone),
        Some(0) => {
            let version = items.get(1).and_then(int).unwrap_or(0) as u64;
            let snapshot = items.get(2).and_then(text).unwrap_or_default();
            let dropped = items.get(3).and_then(int).unwrap_or(0) as u64;
            Ok(Saved::Conflict(Stored {
                version,
                snapshot,
                dropped,
            }))
        }
        _ => Err(format!("unexpected reply {items:?}")),
    }
}

/// `HMGET v s d` as a stored call, if there is one.
fn stored(fields: &[Value]) -> Option<Stored> {
    let version = fields.first().and_then(int)? as u64;
    let snapshot = fields.get(1).and_then(text)?;
    let dropped = fields.get(2).and_then(int).unwrap_or(0) as u64;
    Some(Stored {
        version,
        snapshot,
        dropped,
    })
}

impl CallStore for RedisStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn load<'a>(&'a self, call_id: &'a str) -> StoreFuture<'a, Option<Stored>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let fields: Vec<Value> = redis::cmd("HMGET")
                .arg(call_key(call_id))
                .arg("v")
                .arg("s")
                .arg("d")
                .query_async(&mut conn)
                .await
                .map_err(|e| self.fail(e))?;
            Ok(stored(&fields))
        })
    }

    fn save<'a>(&'a self, call_id: &'a str, write: Write) -> StoreFuture<'a, Saved> {
        Box::pin(async move {
            let reply = match self.save_once(call_id, &write).await {
                // A restarted Redis has forgotten the script.
                Err(e)
                    if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                {
                    let mut conn = self.conn.clone();
                    self.save
                        .prepare_invoke()
                        .load_async(&mut conn)
                        .await
                        .map_err(|e| self.fail(e))?;
                    self.save_once(call_id, &write).await
                }
                other => other,
            }
            .map_err(|e| self.fail(e))?;
            saved(reply).map_err(|e| StoreError(format!("{}: {e}", self.describe)))
        })
    }

    fn record<'a>(&'a self, call_id: &'a str) -> StoreFuture<'a, Option<(Stored, Vec<String>)>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let (fields, lines): (Vec<Value>, Vec<String>) = redis::pipe()
                .cmd("HMGET")
                .arg(call_key(call_id))
                .arg("v")
                .arg("s")
                .arg("d")
                .cmd("LRANGE")
                .arg(log_key(call_id))
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await
                .map_err(|e| self.fail(e))?;
            Ok(stored(&fields).map(|s| (s, lines)))
        })
    }

    fn claim_due(&self, now_ms: u64, limit: usize) -> StoreFuture<'_, Vec<String>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            self.claim
                .key(DUE)
                .arg(now_ms)
                .arg(limit)
                .arg(CLAIM_HOLD.as_millis() as u64)
                .invoke_async(&mut conn)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn check_at<'a>(&'a self, call_id: &'a str, at_ms: u64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("ZADD")
                .arg(DUE)
                .arg(at_ms)
                .arg(call_id)
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn lease<'a>(
        &'a self,
        call_id: &'a str,
        owner: &'a str,
        ttl: Duration,
        take: bool,
    ) -> StoreFuture<'a, Lease> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let got: i64 = self
                .lease
                .key(lease_key(call_id))
                .key(call_key(call_id))
                .arg(owner)
                .arg(ttl.as_millis().max(1) as u64)
                .arg(if take { 1 } else { 0 })
                .invoke_async(&mut conn)
                .await
                .map_err(|e| self.fail(e))?;
            Ok(match got {
                1 => Lease::Held,
                -1 => Lease::Gone,
                _ => Lease::Elsewhere,
            })
        })
    }

    fn forget_due<'a>(&'a self, call_id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("ZREM")
                .arg(DUE)
                .arg(call_id)
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn release<'a>(&'a self, call_id: &'a str, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            self.release
                .key(lease_key(call_id))
                .arg(owner)
                .invoke_async::<()>(&mut conn)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn publish_flow<'a>(
        &'a self,
        flow: &'a str,
        version: &'a str,
        source: &'a str,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("SET")
                .arg(flow_key(flow, version))
                .arg(source)
                .arg("PX")
                .arg(FLOW_TTL.as_millis() as u64)
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn flow_source<'a>(
        &'a self,
        flow: &'a str,
        version: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("GET")
                .arg(flow_key(flow, version))
                .query_async(&mut conn)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("PING")
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| self.fail(e))
        })
    }
}

"""The live-counts flush as one Redis script per flow (see :mod:`ringflow.runtime.counts`).

KEYS: node totals (hash), outlet totals (hash), calls by deadline (sorted set), call -> "order|node" (hash).
ARGV: now, sweep batch, #node deltas, (node, delta)..., #outlet deltas, (outlet, delta)...,
      then (sid, order, node or "", deadline)... for calls seen since the last flush.
Returns {node totals, outlet totals, calls swept off a node}.
"""

FLUSH = """
local i = 3
local n = tonumber(ARGV[i])
for _ = 1, n do redis.call('HINCRBY', KEYS[1], ARGV[i + 1], ARGV[i + 2]); i = i + 2 end
i = i + 1
n = tonumber(ARGV[i])
for _ = 1, n do redis.call('HINCRBY', KEYS[2], ARGV[i + 1], ARGV[i + 2]); i = i + 2 end
i = i + 1
while i + 3 <= #ARGV do
  local sid, order = ARGV[i], tonumber(ARGV[i + 1])
  local cur = redis.call('HGET', KEYS[4], sid)
  if not cur or tonumber(string.match(cur, '^(%d+)|')) <= order then
    redis.call('HSET', KEYS[4], sid, order .. '|' .. ARGV[i + 2])
    redis.call('ZADD', KEYS[3], ARGV[i + 3], sid)
  end
  i = i + 4
end
local swept = 0
for _, sid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))) do
  local cur = redis.call('HGET', KEYS[4], sid)
  local node = cur and string.match(cur, '|(.*)$') or ''
  if node ~= '' then
    redis.call('HINCRBY', KEYS[1], node, -1)
    swept = swept + 1
  end
  redis.call('HDEL', KEYS[4], sid)
  redis.call('ZREM', KEYS[3], sid)
end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), swept}
"""

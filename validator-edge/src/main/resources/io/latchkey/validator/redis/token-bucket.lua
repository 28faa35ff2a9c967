-- One key's token bucket, atomically: refill by Redis's clock (shared by every edge), charge the `owed` tokens an
-- edge gave while it could not ask (negative gives back, never beyond capacity; down to a whole bucket below empty, so
-- that what edges admitted beyond the limit in an outage is paid back by as much at most), then take `cost` tokens if
-- all are there, or with `partial` = '1' as many whole tokens as there are up to `cost`. A negative `cost` gives unused
-- tokens back (never beyond capacity), unless they were taken under another limit than the bucket's: the bucket keeps
-- the limit of its last take, and an edge that held a lease of the old limit when it changed (one that had no request
-- since, so knows of no change) would otherwise give it back into the new limit's bucket and refill what the new
-- limit's requests spent; such a give-back changes nothing. Returns {tokens taken, tokens left in millitokens
-- (negative while owed), ms until the next token, ms until full, owed tokens charged (the bounds may charge less than
-- owed)}.
local function take_tokens(key, capacity, limit, period_ms, cost, partial, owed)
  local config = capacity .. ':' .. limit .. ':' .. period_ms
  capacity = tonumber(capacity)
  local rate = tonumber(limit) / tonumber(period_ms)
  cost = tonumber(cost)
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local state = redis.call('HMGET', key, 't', 'n', 'c')
  if cost < 0 and state[3] and state[3] ~= config then
    return {0, 0, 0, 0, 0}
  end
  local tokens = capacity
  if state[1] then
    local last = tonumber(state[1])
    tokens = tonumber(state[2])
    if now > last then
      tokens = tokens + (now - last) * rate
    else
      now = last
    end
    if tokens > capacity then
      tokens = capacity
    end
  end
  owed = tonumber(owed or '0')
  local charged = 0
  if owed ~= 0 then
    local before = tokens
    tokens = math.min(capacity, math.max(-capacity, tokens - owed))
    charged = math.floor(before - tokens + 0.5)
  end
  if partial == '1' and cost > 0 then
    cost = math.max(0, math.min(cost, math.floor(tokens)))
  end
  local taken = 0
  -- A give-back always lands, also on a bucket below empty.
  if cost < 0 or cost ~= 0 and tokens >= cost then
    tokens = math.min(capacity, tokens - cost)
    taken = cost
  end
  if cost >= 0 then
    redis.call('HSET', key, 't', now, 'n', tostring(tokens), 'c', config)
  else
    redis.call('HSET', key, 't', now, 'n', tostring(tokens))
  end
  local full = math.ceil((capacity - tokens) / rate)
  redis.call('PEXPIRE', key, full + 1000)
  local wait = 0
  if tokens < 1 then
    wait = math.ceil((1 - tokens) / rate)
  end
  return {taken, math.floor(tokens * 1000), wait, full, charged}
end

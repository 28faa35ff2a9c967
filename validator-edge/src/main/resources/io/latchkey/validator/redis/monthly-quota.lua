-- One key's monthly request count, atomically. First adds `settled` unconditionally: requests already admitted
-- elsewhere (while Redis was unreachable), less what an edge gives back (negative: counts of calls whose late replies
-- showed them counted twice, unused leases), never below 0. Then takes `wanted` more if the quota has room for all of
-- them, or with `partial` = '1' as many as there is room for. The count expires at `expire_at` (epoch seconds), after
-- its month; a call that changes nothing writes nothing. Returns {requests taken, count after}.
local function count_requests(key, quota, wanted, partial, settled, expire_at)
  wanted = tonumber(wanted)
  settled = tonumber(settled)
  local used = math.max(0, tonumber(redis.call('GET', key) or '0') + settled)
  local room = math.max(0, tonumber(quota) - used)
  local taken = 0
  if partial == '1' then
    taken = math.min(wanted, room)
  elseif room >= wanted then
    taken = wanted
  end
  used = used + taken
  if taken > 0 or settled ~= 0 then
    redis.call('SET', key, used)
    redis.call('EXPIREAT', key, expire_at)
  end
  return {taken, used}
end

"""The Lua scripts of the atomic Redis lock store (``bot/lock_store.py``).

Each operation on a conversation's lock — issue a ticket, wait for one's
turn, release, read — is one script, so Redis applies it atomically; time
is Redis's own (``TIME``), never a replica's clock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis

# A lock key outlives its latest ticket by this much, then Redis drops it.
KEY_GRACE_MS = 1000

# Shared by every script. Time is Redis's own (TIME), never a replica's.
# Tickets are stored as JSON strings inside the JSON value, as Rasa does.
_PRELUDE = """
if redis.replicate_commands then redis.replicate_commands() end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function load(key)
  local raw = redis.call('GET', key)
  if not raw then return nil end
  local state = cjson.decode(raw)
  local tickets = {}
  for _, item in ipairs(state.tickets or {}) do
    if type(item) == 'string' then item = cjson.decode(item) end
    tickets[#tickets + 1] = item
  end
  state.tickets = tickets
  return state
end
local function prune(state, now)
  local live = {}
  for _, ticket in ipairs(state.tickets) do
    if tonumber(ticket.expires) >= now then live[#live + 1] = ticket end
  end
  state.tickets = live
end
local function encode(state)
  local items = {}
  for i, ticket in ipairs(state.tickets) do items[i] = cjson.encode(ticket) end
  return cjson.encode({conversation_id = state.conversation_id, tickets = items,
                       last_issued = state.last_issued})
end
local function save(key, state, now)
  if #state.tickets == 0 then
    redis.call('DEL', key)
    return
  end
  local latest = now
  for _, ticket in ipairs(state.tickets) do
    if tonumber(ticket.expires) > latest then latest = tonumber(ticket.expires) end
  end
  local ttl = math.floor((latest - now) * 1000) + GRACE_MS
  redis.call('SET', key, encode(state), 'PX', ttl)
end
""".replace("GRACE_MS", str(KEY_GRACE_MS))


@dataclass(frozen=True)
class Script:
    """A Lua script run by its SHA1, loaded into Redis on first use."""

    source: str

    @property
    def sha(self) -> str:
        """What ``EVALSHA`` knows the script by."""
        return hashlib.sha1(self.source.encode()).hexdigest()

    def call(self, client: redis.Redis, key: str, *args: Any) -> Any:
        """Runs on ``key`` with a synchronous client."""
        try:
            return client.evalsha(self.sha, 1, key, *args)
        except redis.exceptions.NoScriptError:
            return client.eval(self.source, 1, key, *args)

    async def call_async(self, client: aioredis.Redis, key: str, *args: Any) -> Any:
        """Runs on ``key`` with an asyncio client."""
        try:
            return await client.evalsha(self.sha, 1, key, *args)
        except redis.exceptions.NoScriptError:
            return await client.eval(self.source, 1, key, *args)


# ARGV: conversation_id, lifetime, token → the new ticket's number. Numbers
# only grow while the key lives; the token tells reused numbers apart.
ISSUE = Script(
    _PRELUDE
    + """
local now = clock()
local state = load(KEYS[1]) or {conversation_id = ARGV[1], tickets = {}}
prune(state, now)
local last = tonumber(state.last_issued) or -1
for _, ticket in ipairs(state.tickets) do
  if ticket.number > last then last = ticket.number end
end
local number = last + 1
state.tickets[#state.tickets + 1] =
  {number = number, expires = now + tonumber(ARGV[2]), token = ARGV[3]}
state.last_issued = number
save(KEYS[1], state, now)
return number
"""
)

# ARGV: number, token, lifetime → how many live tickets are ahead (0: yours,
# lease renewed from now), or -1 if the ticket is gone. Polling also renews a
# waiter's ticket, so only a waiter that stopped polling expires.
ACQUIRE = Script(
    _PRELUDE
    + """
local now = clock()
local state = load(KEYS[1])
if not state then return -1 end
prune(state, now)
local number, token = tonumber(ARGV[1]), ARGV[2]
local mine, ahead = nil, 0
for _, ticket in ipairs(state.tickets) do
  if ticket.number == number and (token == '' or ticket.token == token) then
    mine = ticket
  elseif ticket.number < number then
    ahead = ahead + 1
  end
end
if mine then mine.expires = now + tonumber(ARGV[3]) end
save(KEYS[1], state, now)
if not mine then return -1 end
return ahead
"""
)

# ARGV: number, token ('' matches any) → 1 if a ticket was removed. The key
# goes when its last ticket does.
RELEASE = Script(
    _PRELUDE
    + """
local now = clock()
local state = load(KEYS[1])
if not state then return 0 end
prune(state, now)
local number, token = tonumber(ARGV[1]), ARGV[2]
local live, removed = {}, 0
for _, ticket in ipairs(state.tickets) do
  if removed == 0 and ticket.number == number
      and (token == '' or ticket.token == token) then
    removed = 1
  else
    live[#live + 1] = ticket
  end
end
state.tickets = live
save(KEYS[1], state, now)
return removed
"""
)

# No ARGV → {live lock as JSON or '', Redis time}. Read-only.
READ = Script(
    _PRELUDE
    + """
local now = clock()
local state = load(KEYS[1])
if not state then return {'', tostring(now)} end
prune(state, now)
if #state.tickets == 0 then return {'', tostring(now)} end
return {encode(state), tostring(now)}
"""
)

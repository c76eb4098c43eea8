-- A stand-in for Pktgen-DPDK's Lua API, enough to run the profiles' Lua
-- (whole .lua profiles, and the `lua '...'` lines of .pkt profiles) without
-- pktgen: every call is checked against the API as PKTGEN-NOTES.md
-- describes it and logged, one line each, to $FAKE_LOG; sleeps advance a
-- fake clock; portStats returns counters that grow with it.  Files the
-- script opens under /tmp/gsteer- go to $FAKE_OUTDIR instead.
--
--   lua5.3 fake_pktgen.lua SCRIPT.lua        run a Lua profile
--   lua5.3 fake_pktgen.lua -e 'CHUNK'        run one .pkt lua line
--
-- $FAKE_PORTS: the ports that exist, e.g. "0,1".  Anything else (an unknown
-- pktgen function, a port that does not exist, a wrong argument) stops the
-- script with an error, so the caller sees a non-zero exit status.

local log = assert(io.open(assert(os.getenv("FAKE_LOG"), "FAKE_LOG unset"), "a"))
local outdir = assert(os.getenv("FAKE_OUTDIR"), "FAKE_OUTDIR unset")
local ports = {}
for p in (os.getenv("FAKE_PORTS") or "0,1"):gmatch("%d+") do
	ports[tonumber(p)] = true
end

local clock, started, rate = 0, {}, {}

local function note(fmt, ...)
	log:write(string.format(fmt, ...) .. "\n")
	log:flush()
end

-- "0", "0,1", "0-1" or "all" -> list of port numbers, each one that exists
local function portlist(s, what)
	if type(s) ~= "string" then
		error(what .. ": port list must be a string, got " .. type(s), 3)
	end
	local list = {}
	if s == "all" then
		for p in pairs(ports) do
			list[#list + 1] = p
		end
		table.sort(list)
		return list
	end
	for item in s:gmatch("[^,]+") do
		local a, b = item:match("^(%d+)%-(%d+)$")
		a = tonumber(a or item:match("^(%d+)$"))
		b = tonumber(b) or a
		if not a then
			error(what .. ": bad port list '" .. s .. "'", 3)
		end
		for p = a, b do
			if not ports[p] then
				error(what .. ": port " .. p .. " does not exist", 3)
			end
			list[#list + 1] = p
		end
	end
	return list
end

local function stats(p, kind)
	local tx = started[p] and 1000000 * (rate[p] or 100) // 100 or 0
	if kind == "rate" then
		return { pkts_tx = p == 0 and tx or 0, pkts_rx = p == 1 and 990000 or 0,
			 mbits_tx = tx // 1000, mbits_rx = p == 1 and 990 or 0 }
	end
	return { opackets = clock * 1000000, ipackets = clock * 990000,
		 obytes = clock * 146000000, ibytes = clock * 144540000,
		 oerrors = 0, ierrors = 0, imissed = 0, rx_nombuf = 0 }
end

local api = {}

function api.set(pl, what, value)
	for _, p in ipairs(portlist(pl, "pktgen.set")) do
		if what == "rate" then
			if type(value) ~= "number" or value <= 0 or value > 100 then
				error("pktgen.set rate: " .. tostring(value) .. " is not a percentage", 2)
			end
			rate[p] = value
		end
		note("set %d %s %s", p, what, tostring(value))
	end
end

function api.pcap(pl, onoff)
	if onoff ~= "on" and onoff ~= "off" then
		error("pktgen.pcap: state must be \"on\" or \"off\"", 2)
	end
	for _, p in ipairs(portlist(pl, "pktgen.pcap")) do
		note("pcap %d %s", p, onoff)
	end
end

function api.start(pl)
	for _, p in ipairs(portlist(pl, "pktgen.start")) do
		started[p] = true
		note("start %d", p)
	end
end

function api.stop(pl)
	for _, p in ipairs(portlist(pl, "pktgen.stop")) do
		started[p] = nil
		note("stop %d", p)
	end
end

function api.clr()
	note("clr")
end

function api.sleep(s)
	if type(s) ~= "number" or s < 0 then
		error("pktgen.sleep: seconds must be a number", 2)
	end
	clock = clock + s
	note("sleep %s", tostring(s))
end

function api.delay(ms)
	clock = clock + ms / 1000
	note("delay %s", tostring(ms))
end

function api.portStats(pl, kind)
	if kind ~= "port" and kind ~= "rate" then
		error("pktgen.portStats: kind must be \"port\" or \"rate\"", 2)
	end
	local t = {}
	for _, p in ipairs(portlist(pl, "pktgen.portStats")) do
		t[p] = stats(p, kind)
	end
	note("portStats %s %s", pl, kind)
	return t
end

function api.quit()
	note("quit")
end

pktgen = setmetatable({}, {
	__index = function(_, k)
		local f = api[k]
		if not f then
			error("pktgen." .. tostring(k) .. " is not part of the API the profiles may use", 2)
		end
		return f
	end,
	__newindex = function(_, k)
		error("pktgen." .. tostring(k) .. " may not be assigned", 2)
	end,
})

-- results files go to FAKE_OUTDIR
local real_open = io.open
io.open = function(path, mode)
	local base = path:match("^/tmp/(gsteer%-.*)$")
	if base then
		path = outdir .. "/" .. base
	end
	note("open %s %s", path, mode or "r")
	return real_open(path, mode)
end

if arg[1] == "-e" then
	assert(load(arg[2], "=pkt-lua-line"))()
else
	dofile(arg[1])
end
note("done clock=%d", clock)

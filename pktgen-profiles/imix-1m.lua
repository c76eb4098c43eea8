-- Profile: imix-1m
-- Measures: gsteer-dataplane's throughput on a realistic size mix: 1,000,000
--   flows, half TCP half UDP, inner packets 64/570/1518 bytes in the ratio
--   7:4:1 (IMIX; 146 to 1600-byte frames, so pktgen needs -j and gsteer's
--   ports MTU 1586, which the generated config sets), offered at pktgen's
--   100% for 30 s after a 5 s warm-up, one sample a second.
-- Ports: tx 0, rx 1
--   pktgen port 0 replays the pcap toward gsteer's port 'up'; pktgen port 1
--   receives what gsteer sends to the appliances (gsteer's port 'app').
-- Lcores: pktgen -l 0-2: lcore 0 CLI and display, lcore 1 port 0, lcore 2
--   port 1 (-m 1.0 -m 2.1).  gsteer: -l 0-1 for the per-core figure, -l 0-N
--   for N workers.
-- Rate: 100
-- Pcap: pcaps/imix-1m.pcap
-- Config: pcaps/imix-1m.json
-- Generate: gsteer-pcapgen --out pcaps/imix-1m.pcap --flows 1000000 --size imix --proto mix --config-out pcaps/imix-1m.json --devargs-in 0000:03:00.0 --devargs-out 0000:03:00.1 --dst-mac 02:00:00:00:03:00 --appliance-mac 02:00:00:00:81:01 --control-socket /run/gsteer/dataplane.sock
-- Pktgen: pktgen -l 0-2 -n 4 -a 0000:81:00.0 -a 0000:81:00.1 -- -P -j -m 1.0 -m 2.1 -s 0:pcaps/imix-1m.pcap -f imix-1m.lua
-- Gsteer: gsteer-dataplane --config pcaps/imix-1m.json -l 0-1
-- Read: /tmp/gsteer-imix-1m.csv (or $GSTEER_RESULTS): one line a second,
--   "t,tx_pps,rx_pps,tx_mbps,rx_mbps", then "total,opackets,ipackets,
--   obytes,ibytes,imissed" 2 s after stop.  Throughput = median rx_pps of
--   port 1 (Mpps) and rx_mbps (Mbit/s of frames as gsteer sent them, with
--   the outer headers); loss = opackets - ipackets.  pktgen 24.07.1 paces
--   pcap replay as if every frame were 256 bytes: for IMIX (average frame
--   435 bytes) its 100% overshoots the link, so the port simply sends at
--   line rate.

local TX, RX = "0", "1"
local SECONDS = 30
local out = os.getenv("GSTEER_RESULTS") or "/tmp/gsteer-imix-1m.csv"
local f = assert(io.open(out, "w"))

pktgen.stop(TX)
pktgen.set("0", "rate", 100)
pktgen.pcap(TX, "on")
pktgen.clr()
pktgen.start(TX)
pktgen.sleep(5)
pktgen.clr()

f:write("t,tx_pps,rx_pps,tx_mbps,rx_mbps\n")
for t = 1, SECONDS do
	pktgen.sleep(1)
	local r = pktgen.portStats("0,1", "rate")
	f:write(string.format("%d,%d,%d,%d,%d\n", t, r[0].pkts_tx, r[1].pkts_rx,
		r[0].mbits_tx, r[1].mbits_rx))
	f:flush()
end

pktgen.stop(TX)
pktgen.sleep(2)
local s = pktgen.portStats("0,1", "port")
f:write(string.format("total,%d,%d,%d,%d,%d\n", s[0].opackets, s[1].ipackets,
	s[0].obytes, s[1].ibytes, s[1].imissed))
f:close()

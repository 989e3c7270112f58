-- bench/wrk/classify.lua: POST /v1/classify with a different text each request (so the server's
-- result cache never answers), for Debian's wrk (a C load generator that leaves the server more of
-- the two cores than bench/load does). See bench/load.sh.
--   KEY=sk-... DELAY_MS=20 wrk -t2 -c200 -d10s -s bench/wrk/classify.lua http://127.0.0.1:8080
-- DELAY_MS paces each connection (wrk's delay(): the wait before its next request), so 200
-- connections at 20 ms ask for about 10,000 requests/s; 0 (the default) runs flat out.
local key = os.getenv("KEY") or "sk-bench-12345678"
local pause = tonumber(os.getenv("DELAY_MS") or "0")
local subjects = {"I was charged twice for invoice", "The app crashes when I open report",
	"Can we upgrade to the enterprise plan for team", "The password reset email never arrived for user",
	"Please send a quote for licences number"}
local n = 0
local id = tostring(math.random(1, 1000000))

function setup(thread)
	thread:set("id", tostring(math.random(1, 1000000)))
end

function request()
	n = n + 1
	local body = '{"labels":["billing","technical","sales"],"text":"' .. subjects[n % #subjects + 1] .. " " .. id .. "-" .. n .. '"}'
	return wrk.format("POST", "/v1/classify", {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end

if pause > 0 then
	function delay()
		return pause
	end
end

function done(summary, latency, requests)
	io.write(string.format("wrk: requests=%d errors(status)=%d req/s=%.0f p50=%.2fms p99=%.2fms max=%.2fms\n",
		summary.requests, summary.errors.status, summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

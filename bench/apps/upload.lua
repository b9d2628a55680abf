-- The upload scenario's request: wrk -s upload.lua sends a POST with a 1 MiB body (wrk adds
-- its Content-Length).
wrk.method = "POST"
wrk.body = string.rep("x", 1024 * 1024)
wrk.headers["Content-Type"] = "application/octet-stream"

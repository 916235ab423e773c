-- wrk script: GET /v1/groups with a fixed list of realistic public searches, in turn.
--
--   wrk -t2 -c8 -d10s --latency -s bench/search.lua http://127.0.0.1:8080
--
-- Every request is anonymous (the public map: verified groups, public fields). Each wrk thread
-- starts at a different place in the list and then takes the queries in order, so every query is
-- sent about equally often and the mix is the same from run to run. The queries assume the areas
-- and groups bench/seed-groups.py loads. bench/run.sh reads the list below (the lines between the
-- two markers, one quoted path each) to check each query once and to time it on its own.

local queries = {
-- queries:begin
    "/v1/groups?q=food+bank",                                               -- text, two words
    "/v1/groups?q=esol",                                                    -- text, one word
    "/v1/groups?q=knitting",                                                -- text, one word
    "/v1/groups?q=leyten+fod",                                              -- text with typos
    "/v1/groups?q=walthamstow+esol+conversation+club",                      -- text, a whole name
    "/v1/groups?activity=food&area=leyton",                                 -- filters
    "/v1/groups?beneficiary=refugees&language=ar",                          -- filters
    "/v1/groups?near=51.56,-0.01&radius_km=2&sort=distance",                -- near, nearest first
    "/v1/groups?q=youth+club&area=walthamstow",                             -- text + area
    "/v1/groups?activity=english_language&near=51.584,-0.02&radius_km=1&sort=distance", -- filter + near
    "/v1/groups?q=food&beneficiary=families&near=52.553,-0.289&radius_km=3", -- text + filter + near
    "/v1/groups?kind=faith_group&area=chingford&sort=newest",               -- filters, newest first
    "/v1/groups?needs=volunteers&offers=space&area=peterborough",           -- mutual-support filters
    "/v1/groups?activity=older_people&language=pl&limit=20",                -- filters, smaller page
    "/v1/groups?q=polish&area=peterborough",                                -- text + area
    "/v1/groups?q=mental+health&beneficiary=men",                           -- text + filter
    "/v1/groups?newly_formed=true&area=waltham-forest",                     -- flag + area
    "/v1/groups?q=chingford+knitting+circle&sort=name",                     -- text, sorted by name
-- queries:end
}

local counter = 0
local next_thread = 0

function setup(thread)
    thread:set("offset", next_thread * 7)
    next_thread = next_thread + 1
end

function init(args)
    counter = offset or 0
end

function request()
    counter = counter + 1
    return wrk.format("GET", queries[(counter % #queries) + 1])
end

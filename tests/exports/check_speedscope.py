"""check_speedscope SCHEMA FILE: validates FILE (faultprof-report --format
speedscope) against speedscope's published JSON schema, checks that each
sampled profile's endValue is the sum of its weights and every sample's
frames are in the shared table, then prints one line per profile and leaf
function: "PROFILE<TAB>FUNCTION<TAB>SELF TOTAL"."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema)
frames = doc["shared"]["frames"]
for p in doc["profiles"]:
    assert p["type"] == "sampled", p["name"]
    assert len(p["samples"]) == len(p["weights"]), p["name"]
    assert p["endValue"] == sum(p["weights"]), p["name"]
    totals = {}
    for stack, w in zip(p["samples"], p["weights"]):
        assert all(0 <= f < len(frames) for f in stack), p["name"]
        leaf = frames[stack[-1]]["name"]
        totals[leaf] = totals.get(leaf, 0) + w
    for name, v in sorted(totals.items()):
        print("%s\t%s\t%d" % (p["name"], name, v))

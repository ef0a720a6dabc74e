#!/usr/bin/python3
# Query faultprof-report JSON for the torture tests:
#   fpq.py summary FIELD < report.json            a summary field
#   fpq.py func FUNCTION FIELD < report.json      FIELD of the --by function
#                                                 site named FUNCTION (0 if none)
#   fpq.py module MODULE FIELD < report.json    FIELD summed over the sites
#                                                 whose innermost frame is in MODULE
#   fpq.py raw MODULE < report.json               how many sites (of a --by site
#                                                 report) show a frame of MODULE
#                                                 unsymbolized, as MODULE+0x...
#   fpq.py procs < report.json                    number of processes
import json
import sys


def main(argv):
    d = json.load(sys.stdin)
    if argv[1] == "summary":
        v = d["summary"][argv[2]]
    elif argv[1] == "func":
        v = sum(s.get(argv[3], 0) for s in d.get("allocation_sites", [])
                if s.get("function") == argv[2])
    elif argv[1] == "module":
        v = sum(s.get(argv[3], 0) for s in d.get("allocation_sites", [])
                if s.get("module") == argv[2])
    elif argv[1] == "raw":
        v = sum(1 for s in d.get("allocation_sites", [])
                if any(f.startswith(argv[2] + "+0x") for f in s.get("stack", [])))
    elif argv[1] == "procs":
        v = len(d.get("processes", []))
    else:
        sys.exit("fpq.py: unknown query " + argv[1])
    if isinstance(v, bool):
        v = "true" if v else "false"
    print(v)


if __name__ == "__main__":
    main(sys.argv)

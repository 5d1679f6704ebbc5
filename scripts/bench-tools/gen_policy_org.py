#!/usr/bin/env python3
"""Generates a policy benchmark: a policy folder and a directory snapshot (JSON).

  gen_policy_org.py OUT --users 100000 --computers 10000 --policies 200 --links 600 --rings 20

A 5-level OU tree (region > country > city > department > team), groups, policies that set every client
setting, links spread over every level (some enforced, some disabled, some containers blocking
inheritance), security filtering and targeting on some, and package policies with rings."""
import argparse, json, os, random

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--users", type=int, default=100000)
p.add_argument("--computers", type=int, default=10000)
p.add_argument("--policies", type=int, default=200)
p.add_argument("--links", type=int, default=600)
p.add_argument("--rings", type=int, default=20)
a = p.parse_args()
rng = random.Random(42)
domain = "dc=bench,dc=test"
levels = [("region", 4), ("country", 3), ("city", 3), ("dept", 4), ("team", 3)]
ous = []
def walk(prefix, depth):
    if depth == len(levels):
        return
    name, count = levels[depth]
    for i in range(count):
        dn = "ou=%s%d,%s" % (name, i, prefix)
        ous.append((dn, depth))
        walk(dn, depth + 1)
walk("ou=people," + domain, 0)
leaves = [dn for dn, depth in ous if depth == len(levels) - 1]
groups = ["cn=group%d,ou=groups,%s" % (i, domain) for i in range(200)]
users = []
for i in range(a.users):
    users.append({"name": "user%d" % i, "dn": "uid=user%d,%s" % (i, leaves[i % len(leaves)]),
                  "groups": rng.sample(groups, 3), "attributes": {"title": rng.choice(["Engineer", "Manager", "Director"])}})
computer_ous = ["ou=site%d,ou=computers,%s" % (i, domain) for i in range(10)]
computers = [{"name": "pc%d" % i, "dn": "cn=pc%d,%s" % (i, computer_ous[i % 10]), "groups": rng.sample(groups, 2), "site": "site%d" % (i % 5)}
             for i in range(a.computers)]
os.makedirs(os.path.join(a.out, "policy", "policies"), exist_ok=True)
settings = [("idleMinutesBeforeAway", lambda: rng.randint(1, 60)), ("autoStart", lambda: rng.choice(["true", "false"])),
            ("autoLogin", lambda: rng.choice(["true", "false"])), ("cacheMinutes", lambda: rng.randint(5, 120)),
            ("notePopups", lambda: rng.choice(["true", "false"])), ("statusWatchPopups", lambda: rng.choice(["true", "false"])),
            ("webServiceAddress", lambda: "https://inboard%d.bench.test/" % rng.randint(1, 3))]
ring_total = 0
for i in range(a.policies):
    lines = ["id: p%d" % i, "name: Policy %d" % i, "version: {user: %d, computer: %d}" % (rng.randint(1, 9), rng.randint(1, 9))]
    if i % 17 == 0:
        lines.append("status: userDisabled")
    if i % 5 == 0:
        lines.append('security: {apply: ["%s", "%s"], deny: ["%s"]}' % (rng.choice(groups), rng.choice(groups), rng.choice(groups)))
    if i % 7 == 0:
        lines.append('targeting: {any: [{group: "%s"}, {not: {attribute: {name: title, equals: Director}}}]}' % rng.choice(groups))
    lines.append("user:")
    for key, value in rng.sample(settings, 3):
        lines.append("  %s: %s" % (key, value()))
    lines.append("computer:")
    for key, value in rng.sample(settings, 2):
        lines.append("  %s: %s" % (key, value()))
    if ring_total < a.rings and i % 10 == 0:
        lines += ["  package:", "    version: 1.0.%d" % (i % 9 + 1), "    rollout:", "      previousVersion: 0.9.0", "      rings:"]
        for r in range(2):
            lines.append('        - {name: ring%d, percent: %d, start: 2026-11-%02dT00:00:00Z}' % (ring_total, 30 * (r + 1), 10 + r))
            ring_total += 1
    open(os.path.join(a.out, "policy", "policies", "p%d.yaml" % i), "w").write("\n".join(lines) + "\n")
containers = {}
scopes = [domain] + [dn for dn, _ in ous] + computer_ous + ["site:site%d" % i for i in range(5)]
for n in range(a.links):
    dn = scopes[n % len(scopes)] if n < len(scopes) else rng.choice(scopes)
    entry = containers.setdefault(dn, {"dn": dn, "links": []})
    link = {"policy": "p%d" % rng.randrange(a.policies), "order": len(entry["links"]) + 1}
    if rng.random() < 0.05: link["enforced"] = True
    if rng.random() < 0.03: link["enabled"] = False
    entry["links"].append(link)
for dn, depth in ous:
    if depth == 2 and rng.random() < 0.3 and dn in containers:
        containers[dn]["blockInheritance"] = True
json.dump({"containers": list(containers.values())}, open(os.path.join(a.out, "policy", "links.yaml"), "w"))   # JSON is YAML
json.dump({"domain": domain, "users": users, "computers": computers, "containers": ["ou=computers," + domain] + computer_ous},
          open(os.path.join(a.out, "directory.json"), "w"))
print(json.dumps({"ous": len(ous), "leaves": len(leaves), "links": sum(len(c["links"]) for c in containers.values()), "rings": ring_total}))

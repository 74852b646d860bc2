# Longest file and function in a Swift source tree. A function's body ends at the first later
# line that starts with the declaration's indentation followed by '}' (the code is formatted that
# way throughout); computed properties and closures-as-lists (`static var all: [Builtin] { [`)
# count as functions.
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else "Sources"
decl = re.compile(r'^(\s*)(?:@[\w()]+\s+)*(?:(?:public|private|fileprivate|internal|static|final|override|mutating|nonisolated|class|convenience|required)\s+)*(func\s|init[?!]?\s*[(<]|subscript\s*\(|deinit\b|var\s+\w+\s*:)')
files, funcs, counts = [], [], {}
for dirpath, _, names in os.walk(root):
    for n in names:
        if not n.endswith(".swift"): continue
        p = os.path.join(dirpath, n)
        lines = open(p, encoding="utf-8").read().rstrip("\n").split("\n")
        files.append((len(lines), p))
        counts[dirpath] = counts.get(dirpath, 0) + 1
        for i, line in enumerate(lines):
            m = decl.match(line)
            if not m: continue
            indent = m.group(1)
            # A signature over several lines: its body opens within the next few lines.
            if "{" not in line and not any(l.rstrip().endswith("{") for l in lines[i + 1:i + 5]): continue
            if line.rstrip().endswith("}"): continue  # one-liner
            for j in range(i + 1, len(lines)):
                if lines[j].startswith(indent + "}") and not lines[j].startswith(indent + " "):
                    funcs.append((j - i + 1, p, i + 1, line.strip()[:80])); break
files.sort(reverse=True); funcs.sort(reverse=True)
print("longest files:"); [print(f"  {n:5d} lines  {p}") for n, p in files[:3]]
print("longest functions:"); [print(f"  {n:5d} lines  {p}:{l}  {s}") for n, p, l, s in funcs[:6]]
d, c = max(counts.items(), key=lambda kv: kv[1])
print(f"most .swift files directly in one folder: {c} ({d})")

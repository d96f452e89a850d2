import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandlock_fork

state = [n * n for n in range(1000)]
clone_id = sandlock_fork.serve()
if clone_id is None:
    raise SystemExit(0)
path = sys.argv[1] if len(sys.argv) > 1 else None
if path:
    try:
        with open(path) as f:
            print(f"py clone {clone_id} read: {f.read().strip()}")
    except OSError as e:
        print(f"py clone {clone_id}: {e.strerror}")
        raise SystemExit(1)
else:
    print(f"py clone {clone_id} CLONE_ID={os.environ['CLONE_ID']} state={state[clone_id]}")

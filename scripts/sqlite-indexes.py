"""Lists or changes the indexes of one table of a SQLite file (for scripts/visibility-indexes.ts).

Node.js 20 has no SQLite module, and Python's is in its standard library. The file may be in use
by the Temporal dev server: SQLite's own locking keeps the two apart, and a change waits up to
30 s for the server's write to finish.

usage: sqlite-indexes.py FILE TABLE          prints JSON: [{"name": ..., "column": ...}], where
                                              column is the index's second column (null when it
                                              is an expression)
       sqlite-indexes.py FILE TABLE SQL...   runs the statements in one transaction
"""
import json
import sqlite3
import sys


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    path, table, statements = argv[1], argv[2], argv[3:]
    db = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30, isolation_level=None)
    try:
        if not statements:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name", (table,)).fetchall()
            out = []
            for (name,) in rows:
                cols = db.execute("SELECT seqno, name FROM pragma_index_info(?) ORDER BY seqno", (name,)).fetchall()
                out.append({"name": name, "column": cols[1][1] if len(cols) > 1 else None})
            print(json.dumps(out))
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            for sql in statements:
                db.execute(sql)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    finally:
        db.close()


if __name__ == "__main__":
    main(sys.argv)

// ui/diff.js: unified diff text → side-by-side rows (node --test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { sideBySide } from "../../ui/diff.js";

test("pairs removed and added lines, keeps context and line numbers", () => {
  const rows = sideBySide("--- a v1\n+++ b v2\n@@ -1,3 +1,4 @@\n-port = 1\n+port = 2\n host = a\n+extra = 1\n tail\n");
  assert.deepEqual(rows.map((r) => r.kind), ["hunk", "change", "same", "add", "same"]);
  assert.deepEqual([rows[1].left, rows[1].right], [{ n: 1, text: "port = 1" }, { n: 1, text: "port = 2" }]);
  assert.deepEqual([rows[2].left.n, rows[2].right.n], [2, 2]);
  assert.equal(rows[3].left, undefined);
  assert.deepEqual(rows[3].right, { n: 3, text: "extra = 1" });
  assert.deepEqual([rows[4].left.n, rows[4].right.n], [3, 4]);
});

test("more removals than additions leave the right side empty", () => {
  const rows = sideBySide("@@ -10,3 +10,1 @@\n-a\n-b\n-c\n+z\n");
  assert.deepEqual(rows.slice(1).map((r) => [r.kind, r.left && r.left.n, r.right && r.right.n]),
    [["change", 10, 10], ["del", 11, undefined], ["del", 12, undefined]]);
});

test("a new file, several hunks, and no diff at all", () => {
  assert.deepEqual(sideBySide("@@ -0,0 +1,2 @@\n+a\n+b\n").slice(1).map((r) => r.kind), ["add", "add"]);
  const two = sideBySide("@@ -1,1 +1,1 @@\n-a\n+b\n@@ -50,1 +50,1 @@\n-y\n+z\n");
  assert.deepEqual(two.map((r) => r.kind), ["hunk", "change", "hunk", "change"]);
  assert.equal(two[3].left.n, 50);
  assert.deepEqual(sideBySide(""), []);
  assert.deepEqual(sideBySide(null), []);
});

test("lines that look like headers inside a hunk are content", () => {
  // "-- x" removed is "--- x" in the text; only the file headers before the first hunk are skipped
  const rows = sideBySide("--- a\n+++ b\n@@ -1,1 +1,1 @@\n--- x\n+++ y\n");
  assert.deepEqual(rows.slice(1).map((r) => [r.kind, r.left.text, r.right.text]), [["change", "-- x", "++ y"]]);
});

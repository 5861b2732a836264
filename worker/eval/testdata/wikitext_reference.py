#!/usr/bin/env python3
"""Reference for worker/eval/wikitext_documents.h: lm-evaluation-harness's `wikitext`
task text handling, written out with Python's own `re` and str methods.

  * documents: EleutherAI/wikitext_document_level's _generate_examples: read
    the file (universal newlines), split on "\\n"; a line whose
    `.replace("= = =", "===").replace("= =", "==").strip()` starts with "= "
    and ends with " =" starts a new page; a page is yielded at a boundary only
    if page.strip() is non-empty; the last page is always yielded.
  * detokenizer: lm_eval/tasks/wikitext/preprocess_wikitext.py
    wikitext_detokenizer, the same replacements and regexes in the same order.
  * counts: process_results counts words (len(re.split(r"\\s+", page))) and
    UTF-8 bytes on the page *before* detokenization.

  python3 worker/eval/testdata/wikitext_reference.py FILE   # JSON on stdout
"""
import json
import re
import sys


def documents(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    pages, current = [], []
    for line in lines:
        r = line.replace("= = =", "===").replace("= =", "==").strip()
        if r.startswith("= ") and r.strip().endswith(" ="):
            page = "\n".join(current)
            if page.strip():
                pages.append(page)
            current = []
        current.append(line)
    pages.append("\n".join(current))
    return pages


def detokenize(s):
    s = s.replace("s '", "s'")
    s = re.sub(r"/' [0-9]/", r"/'[0-9]/", s)
    for a, b in ((" @-@ ", "-"), (" @,@ ", ","), (" @.@ ", "."), (" : ", ": "), (" ; ", "; "),
                 (" . ", ". "), (" ! ", "! "), (" ? ", "? "), (" , ", ", ")):
        s = s.replace(a, b)
    s = re.sub(r"\(\s*([^\)]*?)\s*\)", r"(\1)", s)
    s = re.sub(r"\[\s*([^\]]*?)\s*\]", r"[\1]", s)
    s = re.sub(r"{\s*([^}]*?)\s*}", r"{\1}", s)
    s = re.sub(r"\"\s*([^\"]*?)\s*\"", r'"\1"', s)
    s = re.sub(r"'\s*([^']*?)\s*'", r"'\1'", s)
    for a, b in (("= = = =", "===="), ("= = =", "==="), ("= =", "=="), (" " + chr(176) + " ", chr(176)),
                 (" \n", "\n"), ("\n ", "\n"), (" N ", " 1 "), (" 's", "'s")):
        s = s.replace(a, b)
    return s


def main():
    out = []
    for page in documents(sys.argv[1]):
        out.append({"detokenized": detokenize(page),
                    "words": len(re.split(r"\s+", page)),
                    "bytes": len(page.encode("utf-8"))})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

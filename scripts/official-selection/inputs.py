"""Writes the harness's inputs.json: the token ids refusal4j's `run` scores for a run folder's
validation prompts (prompts/harmful_val.json, prompts/harmless_val.json), its refusal tokens, its
post-instruction tokens and the pad token.

`refusal4j template --instruction --json` gives, for one instruction, the text and ids that `run`
builds. The other prompts are that text with their instruction in its place, tokenized together by
`refusal4j tokenize` (one JVM instead of one per prompt); the first and the last prompt of each set
are checked against `template --json`, and a mismatch stops here.

Usage: inputs.py REFUSAL4J MODEL_DIR RUN_DIR OUT.json
"""
import json
import os
import subprocess
import sys
import tempfile


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def template(r4j, model, instruction):
    return json.loads(run([r4j, "template", "--model", model, "--instruction", instruction, "--json"]))


def main(r4j, model, run_dir, out):
    sets = {}
    for name in ("harmful", "harmless"):
        with open(os.path.join(run_dir, "prompts", f"{name}_val.json")) as f:
            sets[name] = [p["instruction"] for p in json.load(f)]
    first = sets["harmful"][0]
    t = template(r4j, model, first)
    at = t["text"].find(first)
    if at < 0 or t["text"].find(first, at + 1) >= 0:
        sys.exit(f"inputs.py: the rendered prompt does not hold the instruction exactly once: {t['text']!r}")
    before, after = t["text"][:at], t["text"][at + len(first):]
    texts = [before + i + after for name in ("harmful", "harmless") for i in sets[name]]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for x in texts:
            f.write(json.dumps({"text": x}) + "\n")
    try:
        ids = [json.loads(line)["ids"] for line in run([r4j, "tokenize", "--model", model, "--texts", f.name]).splitlines() if line.strip()]
    finally:
        os.unlink(f.name)
    n = len(sets["harmful"])
    result = {"harmful": ids[:n], "harmless": ids[n:], "refusal_tokens": t["refusal_tokens"],
              "post_instruction_ids": t["post_instruction_ids"], "text_template": before + "{instruction}" + after}
    for name in ("harmful", "harmless"):
        for k in (0, len(sets[name]) - 1):
            want = template(r4j, model, sets[name][k])["ids"]
            if result[name][k] != want:
                sys.exit(f"inputs.py: {name}_val[{k}] tokenizes to {result[name][k]}, but run uses {want}")
    with open(os.path.join(model, "config.json")) as f:
        cfg = json.load(f)
    # the official code pads on the left with the tokenizer's pad token; Qwen2.5's is <|endoftext|>, its BOS id
    # (masked out, so its value cannot change a score)
    result["pad_id"] = cfg.get("pad_token_id", cfg.get("bos_token_id", 0))
    with open(out + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(out + ".tmp", out)
    print(f"inputs.py: {n} harmful and {len(ids) - n} harmless prompts, {min(map(len, ids))}-{max(map(len, ids))} tokens -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])

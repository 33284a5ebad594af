"""Times the paper's own direction-selection code (andyrdt/refusal_direction,
pipeline/submodules/select_direction.py) per candidate, on a Qwen2 model folder, with the prompts
and token ids that refusal4j uses.

The scoring is the official code's: its get_refusal_scores, get_last_position_logits and kl_div_fn,
its hooks from pipeline/utils/hook_utils.py, and its ModelBase subclassed for a model it has no file
for (Qwen2.5). What this harness supplies: the model (qwen2.py, since transformers may be absent),
the tokenize function (refusal4j's token ids, left-padded as the official code's tokenizers pad),
and empty stand-ins for the modules the scoring never calls (plots, type annotations, progress bars,
transformers' classes) when they are not installed.

Usage:
  harness.py logits   --official DIR --model DIR --ids 1,2,3 [--ids ...] --reference A.safetensors [...]
  harness.py score    --official DIR --model DIR --inputs inputs.json --mean-diffs F --candidates POS:LAYER,...
inputs.json: {"harmful": [[ids]...], "harmless": [[ids]...], "pad_id": N, "refusal_tokens": [..],
"post_instruction_ids": [..]}. Prints one JSON object a line.
"""
import argparse
import importlib
import json
import os
import sys
import time
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qwen2  # noqa: E402


def stand_in(name, **attrs):
    """An empty module under `name`, for imports the scoring functions never use."""
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


class _Subscriptable:
    def __class_getitem__(cls, item):
        return cls


def import_official(src):
    """The official select_direction, hook_utils and model_base modules, from the source tree at src."""
    for name, attrs in {
        "transformers": dict(AutoTokenizer=object, AutoModelForCausalLM=object, GenerationConfig=object),
        "jaxtyping": dict(Float=_Subscriptable, Int=_Subscriptable),
        "einops": dict(rearrange=None),
        "tqdm": dict(tqdm=lambda it, **kw: it),
    }.items():
        try:
            importlib.import_module(name)
        except ImportError:
            stand_in(name, **attrs)
    try:
        importlib.import_module("matplotlib.pyplot")
    except ImportError:
        stand_in("matplotlib")
        stand_in("matplotlib.pyplot")
    sys.path.insert(0, src)
    sd = importlib.import_module("pipeline.submodules.select_direction")
    hu = importlib.import_module("pipeline.utils.hook_utils")
    mb = importlib.import_module("pipeline.model_utils.model_base")
    return sd, hu, mb


def make_model_base(mb, model_dir, prompts, pad_id, refusal_toks, eoi_toks):
    """The official ModelBase for a Qwen2 model, as its llama3/qwen subclasses are written."""

    class Tokenized(types.SimpleNamespace):
        pass

    def tokenize_instructions_fn(instructions):
        # instructions are keys into refusal4j's token ids; left padding, as the official tokenizers pad
        rows = [prompts[i] for i in instructions]
        T = max(len(r) for r in rows)
        ids = torch.full((len(rows), T), pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), T), dtype=torch.long)
        for b, r in enumerate(rows):
            ids[b, T - len(r):] = torch.tensor(r, dtype=torch.long)
            mask[b, T - len(r):] = 1
        return Tokenized(input_ids=ids, attention_mask=mask)

    class Qwen2Base(mb.ModelBase):
        def _load_model(self, path):
            return qwen2.load(path)

        def _load_tokenizer(self, path):
            return None

        def _get_tokenize_instructions_fn(self):
            return tokenize_instructions_fn

        def _get_eoi_toks(self):
            return eoi_toks

        def _get_refusal_toks(self):
            return refusal_toks

        def _get_model_block_modules(self):
            return self.model.model.layers

        def _get_attn_modules(self):
            return torch.nn.ModuleList([b.self_attn for b in self.model_block_modules])

        def _get_mlp_modules(self):
            return torch.nn.ModuleList([b.mlp for b in self.model_block_modules])

        def _get_orthogonalization_mod_fn(self, direction):
            raise NotImplementedError("not used by selection")

        def _get_act_add_mod_fn(self, direction, coeff, layer):
            raise NotImplementedError("not used by selection")

    return Qwen2Base(model_dir)


def read_mean_diffs(path):
    t = qwen2.read_safetensors(path)
    if "mean_diffs" not in t or t["mean_diffs"].dim() != 3:
        raise ValueError(f"{path}: expected a tensor 'mean_diffs' [positions, layers, d]")
    return t["mean_diffs"]


def cmd_logits(a):
    model = qwen2.load(a.model)
    if len(a.ids) != len(a.reference):
        raise ValueError("give one --reference per --ids")
    rows = [[int(x) for x in s.split(",")] for s in a.ids]
    worst = 0.0
    for r, ref in zip(rows, a.reference):
        want = qwen2.read_safetensors(ref)["logits"]
        got = model(input_ids=torch.tensor([r])).logits[0]
        d = (got - want).abs().max().item()
        worst = max(worst, d)
        print(json.dumps({"check": "logits", "tokens": len(r), "max_abs_diff": d, "max_abs_logit": want.abs().max().item()}))
    # the same prompts left-padded in one batch: the masking the official code's batches rely on
    T = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), T), dtype=torch.long)
    mask = torch.zeros((len(rows), T), dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, T - len(r):] = torch.tensor(r)
        mask[b, T - len(r):] = 1
    last = model(input_ids=ids, attention_mask=mask).logits[:, -1, :]
    for b, ref in enumerate(a.reference):
        want = qwen2.read_safetensors(ref)["logits"][-1]
        d = (last[b] - want).abs().max().item()
        worst = max(worst, d)
        print(json.dumps({"check": "last logits, left-padded batch", "row": b, "max_abs_diff": d}))
    print(json.dumps({"check": "logits", "worst_max_abs_diff": worst, "tolerance": a.tolerance, "ok": worst <= a.tolerance}))
    return 0 if worst <= a.tolerance else 1


def cmd_score(a):
    sd, hu, mb = import_official(a.official)
    with open(a.inputs) as f:
        inp = json.load(f)
    prompts = {}
    harmful, harmless = [], []
    for name, out in (("harmful", harmful), ("harmless", harmless)):
        for i, ids in enumerate(inp[name]):
            key = f"{name}/{i}"
            prompts[key] = ids
            out.append(key)
    t0 = time.perf_counter()
    base = make_model_base(mb, a.model, prompts, inp["pad_id"], inp["refusal_tokens"], inp["post_instruction_ids"])
    cands = read_mean_diffs(a.mean_diffs)
    print(json.dumps({"event": "loaded", "seconds": round(time.perf_counter() - t0, 2), "threads": torch.get_num_threads(),
                      "torch": torch.__version__}), flush=True)
    n_layer = base.model.config.num_hidden_layers
    bs = a.batch_size

    # select_direction's baselines: refusal scores of both sets, harmless last-position logits
    t0, cpu0 = time.perf_counter(), time.process_time()
    sd.get_refusal_scores(base.model, harmful, base.tokenize_instructions_fn, base.refusal_toks, fwd_hooks=[], batch_size=bs)
    sd.get_refusal_scores(base.model, harmless, base.tokenize_instructions_fn, base.refusal_toks, fwd_hooks=[], batch_size=bs)
    baseline = sd.get_last_position_logits(base.model, base.tokenizer, harmless, base.tokenize_instructions_fn,
                                           fwd_pre_hooks=[], fwd_hooks=[], batch_size=bs)
    print(json.dumps({"event": "baseline", "seconds": round(time.perf_counter() - t0, 3), "cpu_seconds": round(time.process_time() - cpu0, 3)}),
          flush=True)

    for spec in a.candidates.split(","):
        pos, layer = (int(x) for x in spec.split(":"))
        if not (-cands.shape[0] <= pos < 0 and 0 <= layer < n_layer):
            raise ValueError(f"--candidates {spec}: position must be in [{-cands.shape[0]}, -1] and layer in [0, {n_layer - 1}]")
        direction = cands[pos, layer]
        t = {}
        cpu0 = time.process_time()
        # the three loops of select_direction, for this one candidate
        t0 = time.perf_counter()
        pre, post = hu.get_all_direction_ablation_hooks(base, direction)
        ablated = sd.get_last_position_logits(base.model, base.tokenizer, harmless, base.tokenize_instructions_fn,
                                              fwd_pre_hooks=pre, fwd_hooks=post, batch_size=bs)
        kl = sd.kl_div_fn(baseline, ablated, mask=None).mean(dim=0).item()
        t["kl"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        pre, post = hu.get_all_direction_ablation_hooks(base, direction)
        bypass = sd.get_refusal_scores(base.model, harmful, base.tokenize_instructions_fn, base.refusal_toks,
                                       fwd_pre_hooks=pre, fwd_hooks=post, batch_size=bs).mean().item()
        t["bypass"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        pre = [(base.model_block_modules[layer], hu.get_activation_addition_input_pre_hook(vector=direction, coeff=torch.tensor(1.0)))]
        induce = sd.get_refusal_scores(base.model, harmless, base.tokenize_instructions_fn, base.refusal_toks,
                                       fwd_pre_hooks=pre, fwd_hooks=[], batch_size=bs).mean().item()
        t["induce"] = time.perf_counter() - t0
        print(json.dumps({"event": "candidate", "position": pos, "layer": layer, "bypass": bypass, "induce": induce, "kl": kl,
                          "seconds": round(sum(t.values()), 3), "cpu_seconds": round(time.process_time() - cpu0, 3), "seconds_by_pass": {k: round(v, 3) for k, v in t.items()}}),
              flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    lg = sub.add_parser("logits", help="compare this model's logits with refusal4j forward's")
    lg.add_argument("--model", required=True)
    lg.add_argument("--ids", action="append", required=True)
    lg.add_argument("--reference", action="append", required=True)
    lg.add_argument("--tolerance", type=float, default=1e-4)
    sc = sub.add_parser("score", help="time the official scoring of some candidates")
    sc.add_argument("--official", required=True)
    sc.add_argument("--model", required=True)
    sc.add_argument("--inputs", required=True)
    sc.add_argument("--mean-diffs", required=True)
    sc.add_argument("--candidates", required=True)
    sc.add_argument("--batch-size", type=int, default=32, help="select_direction's default")
    for s in (lg, sc):
        s.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    return cmd_logits(a) if a.cmd == "logits" else cmd_score(a)


if __name__ == "__main__":
    sys.exit(main())

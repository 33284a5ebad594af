# Regenerates jinja2-semantics.json (expected outputs of Jinja2SemanticsTest) with Python jinja2,
# set up the way Hugging Face transformers compiles chat templates. Run from this folder:
#   python3 jinja2-semantics.py      (needs jinja2; the test itself needs no Python)
# Templates are in jinja2-semantics-templates.txt, separated by lines "=====".
import json
from datetime import datetime
from jinja2.sandbox import ImmutableSandboxedEnvironment
import jinja2
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
def raise_exception(m): raise jinja2.exceptions.TemplateError(m)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda f: datetime(2024,7,26).strftime(f)
msgs=[{"role":"system","content":"S"},{"role":"user","content":"U1"},{"role":"assistant","content":"A"},{"role":"user","content":"U2"}]
T = [l for l in open('jinja2-semantics-templates.txt').read().split('\n=====\n') if l.strip()]
out=[]
for t in T:
    try: r = env.from_string(t).render(msgs=msgs, n=None); out.append({"template":t,"expected":r})
    except Exception as e: out.append({"template":t,"error":type(e).__name__+": "+str(e)})
json.dump(out, open('jinja2-semantics.json','w'), ensure_ascii=False, indent=1)
for o in out: print(repr(o['template'][:60]), '->', repr(o.get('expected', o.get('error'))))

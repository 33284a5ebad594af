/**
 * A small jinja2 interpreter with exactly the behaviour Hugging Face's chat templates rely on:
 * {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with loop controls,
 * HF's {@code tojson}, {@code raise_exception} and {@code strftime_now}, and Python value
 * semantics (str/dict/list methods, printing, truthiness, None versus undefined, generators).
 *
 * <p>Why not Jinjava: configured as closely as it allows, Jinjava 2.8.4 rendered 68 of the 198 shared
 * non-error cases exactly, and 9 of the 15 error cases rendered instead of raising. Its differences are in the lexer (whitespace control), the expression parser
 * (Python slices with expressions, named filter arguments) and the value model (Java strings
 * without Python methods, no None/undefined distinction), so patching them case by case would
 * have meant re-implementing most of an engine around it. This package renders all 213.
 *
 * <p>Pipeline: {@link dev.refusal4j.chat.jinja.Lexer} (text and tag tokens, whitespace rules) →
 * {@link dev.refusal4j.chat.jinja.Parser} (jinja2 grammar) → {@link dev.refusal4j.chat.jinja.Node}
 * tree → {@link dev.refusal4j.chat.jinja.Interpreter} (scopes, loops, macros) using
 * {@link dev.refusal4j.chat.jinja.Py} for values, with {@code Filters}, {@code Tests},
 * {@code Methods}, {@code Json} and {@code Strftime}.
 */
package dev.refusal4j.chat.jinja;

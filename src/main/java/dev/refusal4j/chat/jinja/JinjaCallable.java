package dev.refusal4j.chat.jinja;

import java.util.List;
import java.util.Map;

/** Anything a template can call: globals, macros, bound string/dict methods, {@code loop.cycle}. */
@FunctionalInterface
interface JinjaCallable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}

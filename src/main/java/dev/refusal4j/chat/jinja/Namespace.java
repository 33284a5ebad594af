package dev.refusal4j.chat.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/** jinja2's {@code namespace()}: the one object whose attributes templates may assign across scopes. */
final class Namespace {
    final Map<String, Object> attrs = new LinkedHashMap<>();
}

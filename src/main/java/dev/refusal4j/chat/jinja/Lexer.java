package dev.refusal4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a template into text and tag tokens with exactly jinja2's whitespace rules as Hugging
 * Face configures them: {@code trim_blocks} (drop the first newline after a block or comment tag),
 * {@code lstrip_blocks} (drop spaces and tabs before a block or comment tag that starts a line),
 * {@code -} (strip all whitespace on that side) and {@code +} (disable lstrip / trim for that tag),
 * and {@code keep_trailing_newline=False} (one trailing newline of the source is dropped).
 */
final class Lexer {
    private static final Pattern RAW_BEGIN = Pattern.compile("\\{%([-+]?)\\s*raw\\s*(-?)%}");
    private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
        ">", "<", "=", ".", ":", "|", ",", ";"
    };

    private final String src;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;
    private boolean lineStarting = true; // the previous tag's consumed end ended with a newline
    private boolean trimBlocksApplies;   // the tag being closed is a block or comment (trim_blocks applies)

    private Lexer(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        this.src = s;
    }

    static List<Token> tokenize(String source) {
        Lexer lx = new Lexer(source);
        lx.run();
        return lx.out;
    }

    private void run() {
        while (pos < src.length()) {
            int open = nextOpener(pos);
            if (open < 0) {
                emitText(src.substring(pos));
                pos = src.length();
                break;
            }
            char kind = src.charAt(open + 1);
            char sign = open + 2 < src.length() ? src.charAt(open + 2) : 0;
            String text = src.substring(pos, open);
            int textLines = count(text); // counted before stripping, so lines stay right
            if (sign == '-') {
                text = Py.rstrip(text, null);
            } else if (sign != '+' && kind != '{') {
                int lPos = text.lastIndexOf('\n') + 1;
                if ((lPos > 0 || lineStarting) && onlySpacesTabs(text, lPos)) text = text.substring(0, lPos);
            }
            emitText(text);
            line += textLines - count(text);
            pos = open;
            if (kind == '#') comment(sign);
            else if (kind == '%' && raw()) continue;
            else tag(kind, sign);
        }
        out.add(new Token(Token.Type.EOF, "", null, line));
    }

    private int nextOpener(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    private static boolean onlySpacesTabs(String s, int from) {
        for (int i = from; i < s.length(); i++) if (s.charAt(i) != ' ' && s.charAt(i) != '\t') return false;
        return true;
    }

    private void emitText(String text) {
        if (!text.isEmpty()) out.add(new Token(Token.Type.TEXT, text, null, line));
        line += count(text);
    }

    private static int count(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == '\n') n++;
        return n;
    }

    private void comment(char sign) {
        int start = pos + 2 + (sign == '-' || sign == '+' ? 1 : 0);
        int end = src.indexOf("#}", start);
        if (end < 0) throw new JinjaException("TemplateSyntaxError", "Missing end of comment tag", line);
        char before = end > start ? src.charAt(end - 1) : 0;
        line += count(src.substring(pos, end));
        pos = end + 2;
        trimBlocksApplies = true;
        closeTag(before);
    }

    /** After "%}", "}}" or "#}": apply the right-side modifier ({@code before} is the char before it). */
    private void closeTag(char before) {
        int from = pos;
        if (before == '-') {
            while (pos < src.length() && Py.isSpace(src.charAt(pos))) pos++;
        } else if (before != '+' && trimBlocksApplies && pos < src.length() && src.charAt(pos) == '\n') {
            pos++;
        }
        String consumed = src.substring(from, pos);
        line += count(consumed);
        lineStarting = consumed.endsWith("\n"); // jinja2 looks at the end match, e.g. "%}\n"
    }

    private boolean raw() {
        Matcher m = RAW_BEGIN.matcher(src).region(pos, src.length());
        if (!m.lookingAt()) return false;
        Matcher e = RAW_END.matcher(src);
        if (!e.find(m.end())) throw new JinjaException("TemplateSyntaxError", "Missing end of raw directive", line);
        int bodyStart = m.end();
        if (m.group(2).equals("-")) while (bodyStart < e.start() && Py.isSpace(src.charAt(bodyStart))) bodyStart++;
        String body = src.substring(bodyStart, e.start());
        if (e.group(1).equals("-")) body = Py.rstrip(body, null);
        line += count(src.substring(pos, bodyStart));
        emitText(body);
        pos = e.end() - 2;
        trimBlocksApplies = true;
        char before = e.group(2).isEmpty() ? 0 : e.group(2).charAt(0);
        pos += 2;
        closeTag(before);
        return true;
    }

    private void tag(char kind, char sign) {
        boolean block = kind == '%';
        out.add(new Token(block ? Token.Type.BLOCK_BEGIN : Token.Type.VAR_BEGIN, block ? "{%" : "{{", null, line));
        pos += 2 + (sign == '-' || (sign == '+' && block) ? 1 : 0);
        int depth = 0; // open brackets: an end delimiter only counts outside them, as in jinja2
        while (true) {
            if (pos >= src.length()) {
                throw new JinjaException("TemplateSyntaxError",
                        "unexpected end of template, expected '" + (block ? "%}" : "}}") + "'", line);
            }
            char c = src.charAt(pos);
            if (Character.isWhitespace(c)) {
                if (c == '\n') line++;
                pos++;
                continue;
            }
            if (depth == 0) {
                String end = block ? "%}" : "}}";
                if ((c == '-' || (c == '+' && block)) && src.startsWith(end, pos + 1)) {
                    pos += 3;
                    out.add(new Token(block ? Token.Type.BLOCK_END : Token.Type.VAR_END, end, null, line));
                    trimBlocksApplies = block;
                    closeTag(c);
                    return;
                }
                if (src.startsWith(end, pos)) {
                    pos += 2;
                    out.add(new Token(block ? Token.Type.BLOCK_END : Token.Type.VAR_END, end, null, line));
                    trimBlocksApplies = block;
                    closeTag((char) 0);
                    return;
                }
            }
            if (c == '\'' || c == '"') {
                string(c);
            } else if (Character.isDigit(c)) {
                number();
            } else if (Character.isLetter(c) || c == '_') {
                int s = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                out.add(new Token(Token.Type.NAME, src.substring(s, pos), null, line));
            } else {
                String op = null;
                for (String o : OPERATORS) if (src.startsWith(o, pos)) { op = o; break; }
                if (op == null) throw new JinjaException("TemplateSyntaxError", "unexpected char '" + c + "'", line);
                if (op.equals("(") || op.equals("[") || op.equals("{")) depth++;
                if (op.equals(")") || op.equals("]") || op.equals("}")) depth--;
                pos += op.length();
                out.add(new Token(Token.Type.OP, op, null, line));
            }
        }
    }

    private void number() {
        int s = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int save = pos;
            pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) pos++;
            if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                isFloat = true;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
            } else {
                pos = save;
            }
        }
        String text = src.substring(s, pos).replace("_", "");
        if (isFloat) out.add(new Token(Token.Type.FLOAT, text, Double.parseDouble(text), line));
        else out.add(new Token(Token.Type.INT, text, Long.parseLong(text), line));
    }

    /** A quoted literal, unescaped like Python's "unicode-escape" codec as jinja2 does. */
    private void string(char quote) {
        int startLine = line;
        StringBuilder sb = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) throw new JinjaException("TemplateSyntaxError", "unterminated string", startLine);
            char c = src.charAt(pos);
            if (c == quote) { pos++; break; }
            if (c == '\n') line++;
            if (c != '\\' || pos + 1 >= src.length()) { sb.append(c); pos++; continue; }
            char n = src.charAt(pos + 1);
            pos += 2;
            switch (n) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'v' -> sb.append('\u000b');
                case 'a' -> sb.append('\u0007');
                case '0' -> sb.append('\0');
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case '\n' -> line++;
                case 'x' -> sb.append(hex(2));
                case 'u' -> sb.append(hex(4));
                case 'U' -> sb.appendCodePoint(Integer.parseInt(hexRaw(8), 16));
                default -> sb.append('\\').append(n);
            }
        }
        out.add(new Token(Token.Type.STRING, sb.toString(), sb.toString(), startLine));
    }

    private char hex(int n) {
        return (char) Integer.parseInt(hexRaw(n), 16);
    }

    private String hexRaw(int n) {
        if (pos + n > src.length()) throw new JinjaException("TemplateSyntaxError", "truncated \\x/\\u escape", line);
        String h = src.substring(pos, pos + n);
        pos += n;
        return h;
    }
}

package dev.refusal4j.prompts;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A CSV file with a header row, read by an RFC 4180 parser: comma separators, fields in double
 * quotes may hold commas, line breaks and doubled quotes; records end with LF, CRLF or CR.
 * Like Python's csv module, a quote inside an unquoted field and text after a closing quote are
 * kept literally. Blank lines are skipped (as pandas does). A record with a different number of
 * fields than the header, or a quote left open at the end of the file, is an error naming the line.
 */
public record CsvTable(Path file, List<String> header, List<List<String>> rows, int[] rowLines) {

    public static CsvTable read(Path file) {
        return parse(file, PromptLoader.readText(file));
    }

    public static CsvTable parse(Path file, String text) {
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        List<List<String>> records = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        int line = 1, i = 0, n = text.length();
        while (i < n) {
            int recordLine = line;
            List<String> fields = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false, anyContent = false;
            int quoteLine = line;
            while (i < n) {
                char c = text.charAt(i);
                if (quoted) {
                    if (c == '"') {
                        if (i + 1 < n && text.charAt(i + 1) == '"') {
                            field.append('"');
                            i += 2;
                        } else {
                            quoted = false;
                            i++;
                        }
                        continue;
                    }
                    if (c == '\n' || (c == '\r' && !(i + 1 < n && text.charAt(i + 1) == '\n'))) line++;
                    field.append(c);
                    i++;
                    continue;
                }
                if (c == ',') {
                    fields.add(field.toString());
                    field.setLength(0);
                    anyContent = true;
                    i++;
                } else if (c == '\n' || c == '\r') {
                    i += (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') ? 2 : 1;
                    line++;
                    break;
                } else if (c == '"' && field.isEmpty()) {
                    quoted = true;
                    anyContent = true;
                    quoteLine = line;
                    i++;
                } else {
                    field.append(c);
                    anyContent = true;
                    i++;
                }
            }
            if (quoted) throw new PromptFileException(file, quoteLine, "quoted field is never closed (missing '\"')");
            if (!anyContent) continue;   // blank line
            fields.add(field.toString());
            records.add(fields);
            lines.add(recordLine);
        }
        if (records.isEmpty()) throw new PromptFileException(file, "CSV file is empty (no header row)");
        List<String> header = records.getFirst();
        List<List<String>> rows = records.subList(1, records.size());
        int[] rowLines = new int[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            rowLines[r] = lines.get(r + 1);
            if (rows.get(r).size() != header.size()) {
                throw new PromptFileException(file, rowLines[r], "record has " + rows.get(r).size()
                        + " fields but the header has " + header.size());
            }
        }
        return new CsvTable(file, List.copyOf(header), List.copyOf(rows), rowLines);
    }

    /** Index of the first header equal to one of the names, exact spelling first, then ignoring case; -1 if none. */
    public int findColumn(String... names) {
        for (String name : names) {
            int i = header.indexOf(name);
            if (i >= 0) return i;
        }
        for (String name : names) {
            for (int i = 0; i < header.size(); i++) if (header.get(i).trim().equalsIgnoreCase(name)) return i;
        }
        return -1;
    }

    /** Index of a required column; the error lists the columns the file has. */
    public int column(String... names) {
        int i = findColumn(names);
        if (i < 0) {
            throw new PromptFileException(file, "no column named " + String.join(" or ", names)
                    + "; the header has " + header);
        }
        return i;
    }
}

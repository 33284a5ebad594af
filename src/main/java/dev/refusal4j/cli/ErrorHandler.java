package dev.refusal4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Turns an exception from a command into one clear line on stderr and a non-zero exit code.
 * Users see what is wrong and where (the message names the file, tensor or key); the stack
 * trace is shown only with REFUSAL4J_DEBUG=1. Running out of heap or stack, in the command's
 * thread or a worker's, is reported the same way, with what to change.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        VirtualMachineError vm = resourceError(ex);
        if (vm != null) return report(vm, cmd.getErr(), cmd.getCommandName());
        String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        cmd.getErr().println("error: " + msg.replace("\r", "\\r").replace("\n", "\\n"));   // one line, whatever the input put in the message
        if (debug()) ex.printStackTrace(cmd.getErr());
        return 1;
    }

    /** One line for an OutOfMemoryError or StackOverflowError that ended {@code command}; returns the exit code. */
    static int report(VirtualMachineError e, PrintWriter err, String command) {
        err.println("error: " + describe(e, command));
        if (debug()) e.printStackTrace(err);
        err.flush();
        return 1;
    }

    /** The line (without "error: ") for a heap or stack that ran out while running {@code command}. */
    static String describe(VirtualMachineError e, String command) {
        String where = command == null || command.isEmpty() ? "" : " while running '" + command + "'";
        if (e instanceof StackOverflowError) {
            return "stack overflow" + where + " (an input nested too deeply?): raise the stack with"
                    + " REFUSAL4J_JAVA_OPTS=-Xss64m or use smaller inputs";
        }
        long maxMiB = Runtime.getRuntime().maxMemory() >> 20;
        long suggestGiB = Math.max(2, 2 * ((maxMiB + 1023) >> 10)); // twice the present heap, in whole GiB
        String what = e.getMessage() == null ? "" : e.getMessage() + ", ";
        return "out of memory" + where + " (" + what + "heap limit " + maxMiB + " MiB): raise the heap with"
                + " REFUSAL4J_JAVA_OPTS=-Xmx" + suggestGiB + "g or use smaller inputs";
    }

    /** The OutOfMemoryError or StackOverflowError behind {@code t} (a worker's may arrive wrapped), or null. */
    static VirtualMachineError resourceError(Throwable t) {
        for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) {
            if (t instanceof OutOfMemoryError || t instanceof StackOverflowError) return (VirtualMachineError) t;
        }
        return null;
    }

    static boolean debug() {
        return "1".equals(System.getenv("REFUSAL4J_DEBUG"));
    }
}

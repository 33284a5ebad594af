package dev.refusal4j.cli;

import picocli.CommandLine;

/**
 * Turns an exception from a command into one clear line on stderr and a non-zero exit code.
 * Users see what is wrong and where (the message names the file, tensor or key); the stack
 * trace is shown only with REFUSAL4J_DEBUG=1.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        cmd.getErr().println("error: " + msg);
        if ("1".equals(System.getenv("REFUSAL4J_DEBUG"))) ex.printStackTrace(cmd.getErr());
        return 1;
    }
}

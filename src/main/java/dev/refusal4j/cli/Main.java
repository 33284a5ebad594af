package dev.refusal4j.cli;

import dev.refusal4j.Version;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code refusal4j} command line tool. Each sub-command lives in its own class. */
@Command(name = "refusal4j",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Find, test and remove the refusal direction of Hugging Face chat models (Arditi et al., 2024).")
public final class Main {
    /** The sub-commands, each named by its own {@code @Command(name = ...)}. */
    static final List<Class<?>> COMMANDS = List.of(
            CommandLine.HelpCommand.class,
            ForwardCommand.class,
            BenchCommand.class,
            TokenizeCommand.class,
            TemplateCommand.class,
            GenerateCommand.class,
            ChatCommand.class,
            ServeCommand.class,
            ServeBenchCommand.class,
            RunCommand.class,
            StageCommands.Directions.class,
            StageCommands.Select.class,
            StageCommands.Evaluate.class,
            EvaluateChoicesCommand.class,
            JudgeCommand.class,
            PromptsCommand.class,
            AbliterateCommand.class,
            OptimizeCommand.class,
            ConvertCommand.class,
            ExportControlVectorCommand.class,
            GgufInfoCommand.class,
            ReportCommand.class,
            SuffixAttackCommand.class,
            AnalyzeSuffixCommand.class,
            TrainOrganismCommand.class);

    public static void main(String[] args) {
        restoreStderr();
        // Jackson's first use costs ~0.1 s of class initialization; nearly every command reads JSON
        // (config.json, safetensors headers) right after picocli has parsed the arguments, so the
        // second core does it meanwhile. Only a head start: the commands do not depend on it.
        Thread.ofPlatform().daemon().name("refusal4j-json-warmup").start(() -> {
            try {
                dev.refusal4j.io.Json.MAPPER.readTree("{\"a\": [1, 2.5, \"b\"]}");
            } catch (Exception e) {
                // nothing to do: the command itself reports any real problem
            }
        });
        String command = args.length > 0 && find(args[0]) != null ? args[0] : null;
        // A thread of a command's own (not a Parallel worker: those hand their errors to the caller) that
        // dies of a full heap or stack would leave the results incomplete: one line, and the run fails.
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            java.io.PrintWriter err = new java.io.PrintWriter(System.err, true);
            VirtualMachineError vm = ErrorHandler.resourceError(e);
            if (vm != null) {
                ErrorHandler.report(vm, err, command);
                System.exit(1);
            }
            err.println("error: in thread " + thread.getName() + ": " + (e.getMessage() == null ? e : e.getMessage()));
            if (ErrorHandler.debug()) e.printStackTrace(err);
        });
        System.exit(run(args));
    }

    /**
     * The launcher runs the JVM with its standard error behind a filter, which drops the module
     * system's "WARNING: Using incubator modules: jdk.incubator.vector" (printed at every start
     * before main, with no switch to turn it off), and keeps the real standard error open as the
     * descriptor named by {@code -Drefusal4j.stderr.fd}. Putting that one back on descriptor 2 here
     * means everything printed from now on, by Java or by the JVM itself, goes straight to the
     * terminal or file as without the launcher; the filter, left without a writer, ends. If this
     * cannot be done, the filter passes everything but that line through.
     */
    private static void restoreStderr() {
        String fd = System.getProperty("refusal4j.stderr.fd");
        if (fd == null) return;
        try {
            Linker c = Linker.nativeLinker();
            FunctionDescriptor intInt = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
            MethodHandle dup2 = c.downcallHandle(c.defaultLookup().find("dup2").orElseThrow(), intInt);
            MethodHandle close = c.downcallHandle(c.defaultLookup().find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            int saved = Integer.parseInt(fd);
            System.err.flush();
            if ((int) dup2.invokeExact(saved, 2) == 2) {
                int closed = (int) close.invokeExact(saved);
            }
        } catch (Throwable e) {
            // standard error stays behind the launcher's filter, which passes every other line on
        }
    }

    /** Runs the CLI and returns the exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        return execute(commandLine(args), args);
    }

    /**
     * Executes a command line built by {@link #commandLine}. picocli hands exceptions to
     * {@link ErrorHandler} but lets an OutOfMemoryError or StackOverflowError through: those get the
     * same one-line treatment here.
     */
    static int execute(CommandLine cl, String... args) {
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) {
            String command = args.length > 0 && cl.getSubcommands().containsKey(args[0]) ? args[0] : null;
            return ErrorHandler.report(e, cl.getErr(), command);
        }
    }

    /** The command line that {@link #run} executes for these arguments (tests add their own handlers). */
    public static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        // Building a sub-command's model is picocli reflection over its options; doing it for every
        // sub-command costs about a third of a second at each start. A run of one sub-command
        // builds only that one; anything else (help, usage, a typo) gets them all.
        boolean version = args.length == 1 && (args[0].equals("-V") || args[0].equals("--version"));
        Class<?> only = args.length == 0 ? null : find(args[0]);
        for (Class<?> c : version ? List.<Class<?>>of() : only != null ? List.<Class<?>>of(only) : COMMANDS) cl.addSubcommand(c);
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setExecutionStrategy(parsed -> {
            resolveModelOption(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });
        return cl;
    }

    /**
     * Every command's {@code --model}, whatever command declares it, goes through
     * {@link Defaults#resolveModel}: a folder or file as given, or a Hugging Face id found in the
     * local cache. A value picocli has already converted is replaced before the command runs.
     */
    private static void resolveModelOption(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            CommandLine.Model.OptionSpec o = p.matchedOption("--model");
            if (o == null || o.type() != java.nio.file.Path.class || o.originalStringValues().isEmpty()) continue;
            try {
                o.setValue(Defaults.resolveModel(o.originalStringValues().getLast()));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ExecutionException(p.commandSpec().commandLine(), e.getMessage(),
                        new IllegalArgumentException("--model " + e.getMessage(), e));
            }
        }
    }

    private static Class<?> find(String name) {
        for (Class<?> c : COMMANDS) {
            Command cmd = c.getAnnotation(Command.class);
            if (cmd != null && cmd.name().equals(name) && c != CommandLine.HelpCommand.class) return c;
        }
        return null;
    }
}

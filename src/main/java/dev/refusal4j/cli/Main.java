package dev.refusal4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code refusal4j} command line tool. Each sub-command lives in its own class. */
@Command(name = "refusal4j",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Find, test and remove the refusal direction of Hugging Face chat models (Arditi et al., 2024).",
        subcommands = {
                CommandLine.HelpCommand.class,
                ForwardCommand.class,
                BenchCommand.class,
                TokenizeCommand.class,
                TemplateCommand.class,
                GenerateCommand.class,
                ChatCommand.class,
                RunCommand.class,
                StageCommands.Directions.class,
                StageCommands.Select.class,
                StageCommands.Evaluate.class,
                JudgeCommand.class,
                PromptsCommand.class,
                AbliterateCommand.class,
                ExportControlVectorCommand.class,
                ReportCommand.class,
                TrainOrganismCommand.class,
        })
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl.execute(args);
    }
}

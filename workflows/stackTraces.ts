/**
 * Preloaded into the workflow sandbox (bundler option `preloadModules`, run once before the
 * sandbox's built-ins are frozen) when WORKFLOW_STACK_TRACES is false: workflow code captures no
 * stack. The SDK captures and formats one for every promise a workflow creates, for its stack
 * trace query (the Web UI's Stack Trace tab); that is about a quarter of the workflow thread's CPU.
 * Without it, that query answers no frames and an error thrown in workflow code has its message
 * but no stack.
 */
Error.stackTraceLimit = 0;

export {};

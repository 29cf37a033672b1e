/**
 * Imported first by the test setup and the tsx entry points (demo, bench). The AWS SDK warns once per process
 * that releases after January 2027 need Node 22; on the Node 20 this kit supports, that warning repeats in
 * every jest worker and child process and buries real output. It says nothing about our code, so it is
 * turned off here once (children inherit the variable). A caller that sets the variable keeps its value.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};

/** Why the real llama-server could not be built: what failed, and where the whole log is. */
export declare class BuildFailed extends Error {}
/** Where this machine keeps the llama-server built from node-llama-cpp's llama.cpp source. */
export declare const cacheDir: string
export declare const binaryPath: string
/** Builds it unless it is there already; resolves to the binary's path. */
export declare function build(): Promise<string>

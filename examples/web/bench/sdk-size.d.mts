export declare const SDK_BUDGET_BYTES: number;
export declare function sdkBrowserBundleSize(): Promise<{ raw: number; gzip: number; code: string; chunks: { name: string; raw: number; gzip: number; code: string }[] }>;

import type { Browser, LaunchOptions } from 'playwright';

export declare const CHROMIUM: string;
export declare const CHROMIUM_ARGS: string[];
export declare function launchOptions(): LaunchOptions & { executablePath: string; args: string[] };
export declare function launchChromium(): Promise<Browser>;

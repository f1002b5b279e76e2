/**
 * The built-in marts project: the demo shop's four marts as files in this package
 * (`marts/demo/`), read by the same code as any user's project.
 */
import { fileURLToPath } from 'node:url';

export const DEMO_PROJECT_DIR = fileURLToPath(new URL('../../marts/demo/', import.meta.url));
export const DEMO_PROJECT_NAME = 'the built-in demo project';

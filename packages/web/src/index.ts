export { createApp, type AppOptions } from './app.js';
export { LivePageData, type PageData } from './data.js';
export { startUiServer, isLoopback, type UiServer, type UiServerOptions } from './server.js';
export { ASSET_NAMES } from './assets.js';
export { TOKEN_MIN_LENGTH } from './auth.js';

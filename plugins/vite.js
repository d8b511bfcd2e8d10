// The entry a user's config imports with plain Node (package.json "exports"). The plugin is
// TypeScript: tsx's tsImport loads it with a loader scoped to this import, so the framework's
// own process is not switched over to tsx as bin/peer-connect.js's is.
import { tsImport } from 'tsx/esm/api';

const plugin = await tsImport('./vite.ts', import.meta.url);
export const peerConnect = plugin.default;
export default plugin.default;

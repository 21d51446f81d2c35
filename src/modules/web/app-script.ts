/**
 * The pages' only script, served from memory. The pages work without it; it adds draft autosave
 * every few seconds and a warning before leaving with unsaved changes.
 */
export const APP_JS = ''

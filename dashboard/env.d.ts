/** Stylesheets imported for esbuild to bundle into the hashed CSS file. */
declare module "*.css";

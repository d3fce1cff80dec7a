// Style sheets imported for esbuild to put into app.css.
declare module '*.css';

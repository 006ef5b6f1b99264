// Lint: typescript-eslint's recommended rules everywhere; on the product code (the program, its
// config and the components) also the type-aware ones, among them restrict-template-expressions,
// which refuses an Output (or any object) inside a template literal: use pulumi.interpolate.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

/** The product: what users run and what the npm package ships. */
const PRODUCT = ["index.ts", "program/**/*.ts", "components/**/*.ts"];

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", "dist/**", "bench/results.json"] },
    eslint.configs.recommended,
    ...tseslint.configs.recommended,
    {
        // Plain Node scripts: the preload of the provider host, the package link, `npm run pulumi`.
        files: ["**/*.cjs"],
        languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", __dirname: "readonly", process: "readonly", globalThis: "readonly", setTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        rules: {
            "@typescript-eslint/no-explicit-any": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
            "no-restricted-syntax": [
                "error",
                {
                    selector: "TemplateLiteral > CallExpression[callee.property.name='apply']",
                    message: "Do not put Outputs in template literals; use pulumi.interpolate.",
                },
            ],
            eqeqeq: ["error", "always", { null: "ignore" }],
        },
    },
    ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: PRODUCT })),
    {
        files: PRODUCT,
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true, allowNullish: true }],
            // A dynamic provider's methods return promises by contract (pulumi.dynamic.ResourceProvider),
            // whether or not they wait for anything.
            "@typescript-eslint/require-await": "off",
        },
    },
);

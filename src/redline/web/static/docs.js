// redline: start Swagger UI on this server's OpenAPI schema (no validator: nothing
// is sent outside the server).
"use strict";
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
  });
});

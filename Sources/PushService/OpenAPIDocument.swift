/// The OpenAPI 3.1 document of the REST API, served at `GET /openapi.yaml`: a copy of
/// `docs/openapi.yaml` (a test keeps the two equal; regenerate with `scripts/openapi-swift.sh`).
public enum OpenAPIDocument {
    /// The YAML text.
    public static let yaml = #"""
openapi: 3.1.0
info:
  title: PushEngine REST API (pushengine serve)
  version: 0.1.0
  description: |
    Batch-shaped 1.x REST API of `pushengine serve`. Every route under `/{version}/{apiKey}/...`
    needs `X-Authorization: <REST key>`; the API key in the path selects the app and platform.
    Every error has one shape (`Error`): 401 AUTHENTICATION_INVALID (10), 403 API_MISUSE (12),
    404 ROUTE_NOT_FOUND (20) or INSTALLATION_NOT_FOUND (21), 429 TOO_MANY_REQUESTS (60),
    500 SERVER_ERROR (0), 400 INVALID_PARAMETER (30, the message names the field),
    413 BODY_TOO_LARGE (31), 503 SERVICE_UNAVAILABLE (1, shutting down).
    This file is served at GET /openapi.yaml; a test keeps it equal to the copy compiled in.
servers:
  - url: http://127.0.0.1:8080
components:
  securitySchemes:
    restKey:
      type: apiKey
      in: header
      name: X-Authorization
  parameters:
    apiKey:
      name: apiKey
      in: path
      required: true
      description: The app's API key for one platform (iOS or Android).
      schema: { type: string, minLength: 1, maxLength: 128 }
      example: DEMO_IOS_KEY
  schemas:
    Error:
      type: object
      additionalProperties: false
      required: [error_code, error_message, code]
      properties:
        error_code: { type: string }
        error_message: { type: string }
        code: { type: integer }
    Status:
      type: object
      additionalProperties: false
      required: [status]
      properties:
        status: { type: string }
    TransactionalSend:
      type: object
      additionalProperties: false
      required: [group_id, recipients, message]
      properties:
        group_id: { type: string, pattern: "^[a-zA-Z0-9_-]{1,128}$" }
        recipients:
          type: object
          additionalProperties: false
          description: At least one recipient, at most 10,000 in all. Unknown recipients are counted, not errors.
          properties:
            tokens: { type: array, items: { type: string }, maxItems: 10000 }
            custom_ids: { type: array, items: { type: string, minLength: 1, maxLength: 512, pattern: "^[^\\x00-\\x1f\\x7f]+$" }, maxItems: 10000 }
            install_ids: { type: array, items: { type: string, minLength: 1, maxLength: 64, pattern: "^[^\\x00-\\x1f\\x7f]+$" }, maxItems: 10000 }
            advertising_ids: { type: array, items: { type: string }, maxItems: 10000 }
        message: { $ref: "#/components/schemas/Message" }
        messages:
          type: array
          description: Per-language variants; installations whose language matches get theirs, others `message`.
          items:
            type: object
            additionalProperties: false
            required: [language, body]
            properties:
              language: { type: string }
              title: { type: string }
              body: { type: string }
        deeplink: { type: string }
        media:
          type: object
          additionalProperties: false
          properties:
            picture: { type: string }
        custom_payload: { type: object, description: "Custom keys (APNs: top level; FCM: data)." }
        priority: { type: string, enum: [normal, high] }
        time_to_live: { type: integer, minimum: 0, maximum: 2419200 }
        collapse_key: { type: string, minLength: 1, maxLength: 64 }
        labels: { type: array, items: { type: string }, maxItems: 3 }
    Message:
      type: object
      additionalProperties: false
      required: [body]
      properties:
        title: { type: string }
        body: { type: string }
    SendToken:
      type: object
      additionalProperties: false
      required: [token]
      properties:
        token: { type: string }
    InstallationReport:
      type: object
      additionalProperties: false
      required: [install_id]
      description: Upsert. An absent field keeps what the index holds; null clears it (`token` null removes the token).
      properties:
        install_id: { type: string, minLength: 1, maxLength: 64, pattern: "^[^\\x00-\\x1f\\x7f]+$" }
        token: { type: [string, "null"], description: "APNs: hex; FCM: the registration token." }
        custom_id: { type: [string, "null"], minLength: 1, maxLength: 512, pattern: "^[^\\x00-\\x1f\\x7f]+$" }
        advertising_id: { type: [string, "null"], description: A UUID (IDFA / GAID). }
        language: { type: [string, "null"] }
        region: { type: [string, "null"] }
        timezone: { type: [string, "null"] }
        app_version: { type: [string, "null"] }
        optin: { type: boolean }
        attributes:
          type: object
          description: "Custom attributes of the user (needs custom_id); merged, null deletes one. Values: string, number, boolean, array of strings (tags), null."
    Installation:
      type: object
      additionalProperties: false
      required: [install_id, platform, token, custom_id, advertising_id, language, region, timezone, app_version, optin, created_at, last_seen_at]
      properties:
        install_id: { type: string }
        platform: { type: string, enum: [ios, android] }
        token: { type: [string, "null"] }
        custom_id: { type: [string, "null"] }
        advertising_id: { type: [string, "null"] }
        language: { type: [string, "null"] }
        region: { type: [string, "null"] }
        timezone: { type: [string, "null"] }
        app_version: { type: [string, "null"] }
        optin: { type: boolean }
        created_at: { type: integer, description: UNIX seconds. }
        last_seen_at: { type: integer, description: UNIX seconds. }
    Upserted:
      type: object
      additionalProperties: false
      required: [upserted, created]
      properties:
        upserted: { type: integer }
        created: { type: integer }
    Deleted:
      type: object
      additionalProperties: false
      required: [deleted]
      properties:
        deleted: { type: boolean }
    Event:
      type: object
      additionalProperties: false
      required: [type, install_id, token]
      properties:
        type: { type: string, enum: [push_opened, inapp_supplied, inapp_shown, inapp_clicked, inapp_closed] }
        install_id: { type: string, minLength: 1, maxLength: 64, pattern: "^[^\\x00-\\x1f\\x7f]+$" }
        time: { type: string, description: "ISO 8601 UTC (2017-07-24T09:00:00Z); default: now." }
        token: { type: string, description: The campaign or transactional token (in-app events; the in-app campaign token). }
        group_id: { type: string, description: "push_opened of a transactional send." }
        cta_position: { type: integer, minimum: 0, description: "inapp_clicked (required there)." }
        cta_action: { type: string, description: "inapp_clicked (required there)." }
    Accepted:
      type: object
      additionalProperties: false
      required: [accepted]
      properties:
        accepted: { type: integer }
  responses:
    Error:
      description: An error of the catalogue.
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Error" }
paths:
  /healthz:
    get:
      operationId: healthz
      responses:
        "200":
          description: The process is up.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Status" }
  /readyz:
    get:
      operationId: readyz
      responses:
        "200":
          description: Ready (the apps and their indexes are loaded).
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Status" }
        "503":
          description: Shutting down.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Status" }
  /metrics:
    get:
      operationId: metrics
      responses:
        "200":
          description: Prometheus text exposition.
          content:
            text/plain:
              schema: { type: string }
  /openapi.yaml:
    get:
      operationId: openapi
      responses:
        "200":
          description: This document.
          content:
            application/yaml:
              schema: { type: string }
  /1.1/{apiKey}/transactional/send:
    post:
      operationId: transactionalSend
      security: [{ restKey: [] }]
      parameters: [{ $ref: "#/components/parameters/apiKey" }]
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/TransactionalSend" }
      responses:
        "201":
          description: Accepted; the notification goes out through the engine.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/SendToken" }
        "400": { $ref: "#/components/responses/Error" }
        "401": { $ref: "#/components/responses/Error" }
        "404": { $ref: "#/components/responses/Error" }
        "413": { $ref: "#/components/responses/Error" }
        "429": { $ref: "#/components/responses/Error" }
        "500": { $ref: "#/components/responses/Error" }
        "503": { $ref: "#/components/responses/Error" }
  /1.0/{apiKey}/installations:
    post:
      operationId: upsertInstallations
      security: [{ restKey: [] }]
      parameters: [{ $ref: "#/components/parameters/apiKey" }]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: array
              minItems: 1
              maxItems: 10000
              items: { $ref: "#/components/schemas/InstallationReport" }
      responses:
        "200":
          description: Upserted; opt-in changes wrote push_optin / push_optout.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Upserted" }
        "400": { $ref: "#/components/responses/Error" }
        "401": { $ref: "#/components/responses/Error" }
        "404": { $ref: "#/components/responses/Error" }
        "413": { $ref: "#/components/responses/Error" }
        "429": { $ref: "#/components/responses/Error" }
        "500": { $ref: "#/components/responses/Error" }
        "503": { $ref: "#/components/responses/Error" }
  /1.0/{apiKey}/installations/{installID}:
    parameters:
      - { $ref: "#/components/parameters/apiKey" }
      - { name: installID, in: path, required: true, schema: { type: string, minLength: 1 } }
    get:
      operationId: getInstallation
      security: [{ restKey: [] }]
      responses:
        "200":
          description: The installation as the index holds it.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Installation" }
        "400": { $ref: "#/components/responses/Error" }
        "401": { $ref: "#/components/responses/Error" }
        "404": { $ref: "#/components/responses/Error" }
        "429": { $ref: "#/components/responses/Error" }
        "500": { $ref: "#/components/responses/Error" }
        "503": { $ref: "#/components/responses/Error" }
    delete:
      operationId: deleteInstallation
      security: [{ restKey: [] }]
      responses:
        "200":
          description: Deleted.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Deleted" }
        "400": { $ref: "#/components/responses/Error" }
        "401": { $ref: "#/components/responses/Error" }
        "404": { $ref: "#/components/responses/Error" }
        "429": { $ref: "#/components/responses/Error" }
        "500": { $ref: "#/components/responses/Error" }
        "503": { $ref: "#/components/responses/Error" }
  /1.0/{apiKey}/events:
    post:
      operationId: postEvents
      security: [{ restKey: [] }]
      parameters: [{ $ref: "#/components/parameters/apiKey" }]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: array
              minItems: 1
              maxItems: 10000
              items: { $ref: "#/components/schemas/Event" }
      responses:
        "200":
          description: Written to the push and in-app event files.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Accepted" }
        "400": { $ref: "#/components/responses/Error" }
        "401": { $ref: "#/components/responses/Error" }
        "404": { $ref: "#/components/responses/Error" }
        "413": { $ref: "#/components/responses/Error" }
        "429": { $ref: "#/components/responses/Error" }
        "500": { $ref: "#/components/responses/Error" }
        "503": { $ref: "#/components/responses/Error" }

"""#
}

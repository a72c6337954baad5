// MockGateway: see docs/ARCHITECTURE.md. Filled in by its issue.
import PushModel

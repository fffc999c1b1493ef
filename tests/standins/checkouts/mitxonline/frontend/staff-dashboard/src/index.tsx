// STAND-IN of the staff dashboard entry (mitodl/mitxonline frontend/staff-dashboard).
export const dashboard = "refine"

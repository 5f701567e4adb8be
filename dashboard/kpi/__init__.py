"""The supervisors' view (``/dashboard/kpi``): KPIs, the agencies' table, the bulletin, exports."""

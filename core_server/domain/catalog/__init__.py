"""The catalog: packages a tenant sells, their kinds, prices and what they deliver."""

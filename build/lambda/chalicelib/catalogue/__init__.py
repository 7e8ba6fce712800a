"""The catalogue of the City's e-services: versioned data files, validated when loaded, searched in memory."""
